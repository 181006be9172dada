"""Reading identity numbers out of OCR lines: container numbers (ISO 6346), vehicle plates
(Kazakh and other letter/digit groups, in any order) and 8-digit CIS wagon numbers.

Pure functions of the lines one frame gave. OCR confusions (O/0, I/1, S/5, B/8, Z/2, G/6) are
undone by position: letters where the format wants a letter, digits where it wants a digit.
A number is matched only by its own characters; nothing here lets a read pass the check digit
of one number against another's declaration.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from contract.numbers import is_valid_container, is_valid_wagon, normalise

_AS_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A"})
_AS_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "J": "1",
                           "Z": "2", "S": "5", "B": "8", "G": "6", "T": "7", "A": "4"})  # fmt: skip
_OWNER_SERIAL = re.compile(r"^[A-Z]{3}[UJZ][0-9]{6}$")
# characters OCR swaps between letters and digits: they never end a letter or digit group
_AMBIGUOUS = frozenset("0O1IL2Z5S8B6G")


def _tokens(line: str) -> str:
    """Upper case, every run of non-alphanumerics one space (a token boundary)."""
    return re.sub(r"[^A-Z0-9]+", " ", line.upper()).strip()


# --- containers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerRead:
    number: str  # 11 characters when the check digit was read, else owner code + serial (10)
    digit_read: bool

    @property
    def valid(self) -> bool:
        return self.digit_read and is_valid_container(self.number)


def _fix_container(window: str) -> str:
    return window[:4].translate(_AS_LETTER) + window[4:].translate(_AS_DIGIT)


def _virtual_lines(lines: Sequence[str]) -> list[list[str]]:
    """Each line's tokens, and a line joined with the next when that one is a boxed check
    digit read on its own (one or two characters) or when the line is only the owner code."""
    toks = [_tokens(x).split() for x in lines]
    out = [t for t in toks if t]
    for a, b in itertools.pairwise(toks):
        na, nb = "".join(a), "".join(b)
        if a and b and (len(nb) <= 2 or (len(na) == 4 and na.translate(_AS_LETTER).isalpha())):
            out.append(a + b)
    return out


def containers_read(lines: Sequence[str]) -> list[ContainerRead]:
    """Container numbers in one frame's lines: owner code + serial followed by a digit in the
    same token or by a token of its own of one digit (the boxed check digit, valid or not);
    followed by nothing, another token or a letter (a box edge read as I or L), the check
    digit is missing or unreadable."""
    found: list[ContainerRead] = []
    for tokens in _virtual_lines(lines):
        text = "".join(tokens)
        owner = [k for k, t in enumerate(tokens) for _ in t]  # token index of each character
        for i in range(len(text) - 9):
            head = _fix_container(text[i : i + 10])
            if not _OWNER_SERIAL.match(head):
                continue
            j = i + 10
            nxt = text[j] if j < len(text) else ""
            own_token = nxt and (owner[j] == owner[j - 1] or len(tokens[owner[j]]) == 1)
            if nxt.isdigit() and own_token:
                read = ContainerRead(head + nxt, True)
            elif not nxt or not own_token or (nxt.isalpha() and j + 1 == len(text)):
                read = ContainerRead(head, False)
            else:
                continue
            if read not in found:
                found.append(read)
    return found


# --- wagons ---------------------------------------------------------------------------------


def wagons_read(lines: Sequence[str]) -> list[tuple[str, bool]]:
    """8-digit numbers with whether their check digit holds. A number may be split in up to
    three tokens (`5412 3456`); letters OCR swaps for digits are undone in tokens that are
    mostly digits. In a run of 9-10 digits (a stray mark read as a digit) only the 8-digit
    windows whose check digit holds are kept; a longer run is not a wagon number."""
    out: list[tuple[str, bool]] = []

    def add(number: str, valid: bool) -> None:
        if (number, valid) not in out:
            out.append((number, valid))

    for line in lines:
        tokens = [t if sum(c.isdigit() for c in t) * 2 < len(t) else t.translate(_AS_DIGIT)
                  for t in _tokens(line).split()]  # fmt: skip
        for i in range(len(tokens)):
            for j in range(i + 1, min(i + 3, len(tokens)) + 1):
                joined = "".join(tokens[i:j])
                for run in re.findall(r"[0-9]+", joined):
                    if len(run) == 8:
                        add(run, is_valid_wagon(run))
                    elif len(run) in (9, 10):
                        for k in range(len(run) - 7):
                            if is_valid_wagon(run[k : k + 8]):
                                add(run[k : k + 8], True)
    return out


# --- plates ---------------------------------------------------------------------------------


def plate_groups(plate: str) -> list[tuple[str, str]]:
    """('D'|'L', run) groups of a declared plate: `123 AB 02` -> D 123, L AB, D 02."""
    return [("D" if m[0].isdigit() else "L", m) for m in re.findall(r"[0-9]+|[A-Z]+", normalise(plate))]


# what a read character may stand for in a plate group of each kind (matched against the
# declared plate, so one character may stand for several)
_MAY_BE_LETTER = {"0": "OQD", "1": "ITL", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T",
                  "8": "B"}  # fmt: skip
_MAY_BE_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "J": "1", "T": "71",
                 "Z": "2", "S": "5", "B": "8", "G": "6", "A": "4"}  # fmt: skip


def _fits(ch: str, want: str, kind: str) -> bool:
    if ch == want:
        return True
    return want in (_MAY_BE_DIGIT if kind == "D" else _MAY_BE_LETTER).get(ch, "")


def _is(ch: str, kind: str) -> bool:
    return ch.isdigit() if kind == "D" else ch.isalpha()


def _occurrences(text: str, kind: str, group: str) -> list[tuple[int, int]]:
    """Spans of `group` in `text` (spaces inside skipped), bounded by a space, the text's ends
    or a character that cannot belong to the group's kind."""
    compact = [(i, c) for i, c in enumerate(text) if c != " "]
    spans = []
    n = len(group)
    for k in range(len(compact) - n + 1):
        window = compact[k : k + n]
        if not all(_fits(c, g, kind) for (_, c), g in zip(window, group, strict=True)):
            continue
        # most of a group must be read as itself: "TD" is not a reading of "10"
        exact = sum(c == g for (_, c), g in zip(window, group, strict=True))
        if exact * 2 < n:
            continue
        start, end = window[0][0], window[-1][0]
        before = text[start - 1] if start > 0 else " "
        after = text[end + 1] if end + 1 < len(text) else " "
        blocked = [c for c in (before, after) if c != " " and _is(c, kind) and c not in _AMBIGUOUS]
        if not blocked:
            spans.append((start, end))
    return spans


def plate_read(lines: Sequence[str], plate: str, max_extra: int = 3) -> bool:
    """The declared plate's groups all appear in one frame, in any order, each as a whole group,
    not overlapping, close together, and every token they touch made of them alone (so a
    region group is not taken out of some other marking such as `22G1`)."""
    groups = plate_groups(plate)
    if not groups:
        return False
    text = _tokens(" ".join(lines))
    options = [_occurrences(text, kind, g) for kind, g in groups]
    if any(not o for o in options):
        return False
    tokens = [(m.start(), m.end() - 1) for m in re.finditer(r"[A-Z0-9]+", text)]
    limit = len(normalise(plate)) + max_extra + len(groups)
    for combo in itertools.product(*options):
        spans = sorted(combo)
        if any(a[1] >= b[0] for a, b in itertools.pairwise(spans)):
            continue
        if spans[-1][1] - spans[0][0] + 1 > limit:
            continue
        covered = {i for a, b in spans for i in range(a, b + 1)}
        touched = [(a, b) for a, b in tokens if any(a <= i <= b for i in covered)]
        # one stray character per token is tolerated (the flag read as a letter)
        if all(sum(i not in covered for i in range(a, b + 1)) <= 1 for a, b in touched):
            return True
    return False
