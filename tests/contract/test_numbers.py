"""Check digits: computed by hand for the cases below, and every single-digit error caught."""

from __future__ import annotations

import pytest

from contract.numbers import is_valid_container, is_valid_wagon, wagon_check_digit


def test_wagon_check_digit_by_hand() -> None:
    # 5 2 9 5 7 1 4 x 2 1 2 1 2 1 2 = 10 2 18 5 14 1 8; digit sums 1+2+9+5+5+1+8 = 31 -> 9
    assert wagon_check_digit("5295714") == 9
    assert is_valid_wagon("52957149")
    assert is_valid_wagon("5295 7149")
    assert not is_valid_wagon("52957140")


def test_a_sum_that_is_already_a_multiple_of_ten_gives_zero() -> None:
    # 1 0 0 0 0 0 0 -> 2; 4 -> 8; 2+8 = 10 -> 0: "1000004" has digit-sum 2 + 8 = 10
    assert wagon_check_digit("1000004") == 0
    assert is_valid_wagon("10000040")


@pytest.mark.parametrize("position", range(7))
def test_every_single_digit_error_is_caught(position: int) -> None:
    good = "52957149"
    for d in "0123456789":
        if d == good[position]:
            continue
        bad = good[:position] + d + good[position + 1 :]
        assert not is_valid_wagon(bad), bad


@pytest.mark.parametrize("text", ["", "1234567", "123456789", "5295714a", "５２９５７１４９", "5295714²"])
def test_malformed_wagon_numbers_are_invalid(text: str) -> None:
    assert not is_valid_wagon(text)


def test_iso6346() -> None:
    assert is_valid_container("CSQU3054383")
    assert not is_valid_container("CSQU3054384")
