"""Align a train's scans with its consist, by number first and then by order (pure Python).

A scan whose wagon number is in the consist is that wagon: `scanned`, or `out_of_order` when
the matched wagons were scanned in another order than the consist lists them. A wagon left
unmatched and a scan left unmatched at the same place in the order, whose number is empty or
differs in at most two characters (a misread), are one wagon whose number disagrees
(`number_disagrees`); the other wagons are `missing` and the other scans `unexpected`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Aligned:
    states: dict[int, tuple[str, int | None]]  # wagon position -> (state, index of its scan)
    unexpected: list[int]  # scan indexes


def align(wagons: list[tuple[int, str]], scans: list[str]) -> Aligned:
    """`wagons`: (position, number) in any order; `scans`: wagon numbers in scanning order."""
    ordered = sorted(wagons)
    by_number = {number: pos for pos, number in ordered}
    matched: dict[int, int] = {}
    for index, number in enumerate(scans):
        pos = by_number.get(number)
        if pos is not None and pos not in matched:
            matched[pos] = index
    states: dict[int, tuple[str, int | None]] = {}
    # out of order: the matched wagons' scan indexes must rise with their positions
    longest = _increasing(sorted(matched), matched)
    for pos, index in matched.items():
        states[pos] = ("scanned" if pos in longest else "out_of_order", index)
    used = set(matched.values())
    rank = {pos: i for i, (pos, _) in enumerate(ordered)}
    number_of = dict(ordered)
    free_scans = {i for i in range(len(scans)) if i not in used}
    for pos, _ in ordered:
        if pos in matched:
            continue
        same_place = rank[pos]
        if same_place in free_scans and _misread(scans[same_place], number_of[pos]):
            states[pos] = ("number_disagrees", same_place)
            free_scans.discard(same_place)
        else:
            states[pos] = ("missing", None)
    return Aligned(states, sorted(free_scans))


def _misread(read: str, expected: str) -> bool:
    if not read:
        return True
    if len(read) != len(expected):
        return False
    return sum(a != b for a, b in zip(read, expected, strict=True)) <= 2


def _increasing(positions: list[int], index_of: dict[int, int]) -> set[int]:
    """The largest set of positions whose scan indexes rise in step (the rest are out of order)."""
    best: list[list[int]] = []
    for pos in positions:
        before: list[int] = []
        for chain in best:
            if index_of[chain[-1]] < index_of[pos] and len(chain) > len(before):
                before = chain
        best.append([*before, pos])
    longest: list[int] = max(best, key=len) if best else []
    return set(longest)
