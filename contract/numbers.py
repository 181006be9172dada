"""Check digits of the identity numbers a declaration names and a camera or scanner reads.

ISO 6346 for containers (owner code, category, serial, check digit) and the 8-digit number of
a CIS (1520 mm) rail wagon, whose last digit is a Luhn-style check over the first seven.
"""

from __future__ import annotations

import re

# ISO 6346 letter values: 10 upwards, skipping multiples of 11.
_LETTER_VALUES: dict[str, int] = {}
_v = 10
for _c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _v % 11 == 0:
        _v += 1
    _LETTER_VALUES[_c] = _v
    _v += 1

CONTAINER_FORMAT = re.compile(r"^[A-Z]{3}[UJZ][0-9]{7}$")
WAGON_FORMAT = re.compile(r"^[0-9]{8}$")
_WAGON_WEIGHTS = (2, 1, 2, 1, 2, 1, 2)


def normalise(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def iso6346_check_digit(first10: str) -> int:
    """Check digit of owner code + category + serial (10 characters)."""
    total = 0
    for i, ch in enumerate(first10.upper()):
        value = _LETTER_VALUES[ch] if ch.isalpha() else int(ch)
        total += value * (1 << i)
    return total % 11 % 10


def is_valid_container(number: str) -> bool:
    n = normalise(number)
    return bool(CONTAINER_FORMAT.match(n)) and iso6346_check_digit(n[:10]) == int(n[10])


def wagon_check_digit(first7: str) -> int:
    """Weights 2,1,2,1,2,1,2 over the first seven digits, the digit sums of the products
    added up, and the complement of that sum to the next multiple of ten."""
    if len(first7) != 7 or not first7.isascii() or not first7.isdigit():
        raise ValueError("a wagon number's check digit is computed over seven digits")
    total = 0
    for digit, weight in zip(first7, _WAGON_WEIGHTS, strict=True):
        product = int(digit) * weight
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def is_valid_wagon(number: str) -> bool:
    """An 8-digit wagon number whose last digit is its check digit (spaces and dashes ignored)."""
    n = re.sub(r"[\s-]", "", number)
    return bool(WAGON_FORMAT.match(n)) and wagon_check_digit(n[:7]) == int(n[7])
