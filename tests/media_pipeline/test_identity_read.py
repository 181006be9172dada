"""Reading identity numbers: containers with and without their check digit, plates in any
order, wagon numbers with their check digit; never a match against the wrong declaration. The
last tests read rendered markings (tests/identity_images.py) through the real rapidocr."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from contract.numbers import is_valid_wagon
from media_pipeline.checks import identity
from media_pipeline.checks.identity_read import (
    ContainerRead,
    containers_read,
    plate_groups,
    plate_read,
    wagons_read,
)
from media_pipeline.context import DeclarationFacts
from tests import identity_images as images


class _Media:
    def __init__(self, frames: list[list[str]]) -> None:
        self.texts = tuple((float(i), line) for i, lines in enumerate(frames) for line in lines)
        self.detections = None
        self.duration = float(len(frames))


def verdict(frames: list[list[str]], **decl: object) -> identity.CheckResult:
    facts = DeclarationFacts(places=1, **decl)  # type: ignore[arg-type]
    return identity.check(_Media(frames), facts, True)  # type: ignore[arg-type]


# --- containers -------------------------------------------------------------------------


def test_owner_code_and_serial_without_the_boxed_digit_match() -> None:
    assert containers_read(["TSVU189741", "45G1"]) == [ContainerRead("TSVU189741", False)]
    r = verdict([["TSVU189741", "45G1"]], containers=("TSVU1897411",))
    assert r.verdict == "pass" and r.params["check_digit_not_read"] == "TSVU1897411"


def test_a_check_digit_read_on_its_own_line_joins_its_number() -> None:
    reads = containers_read(["HPLU252994", "7", "42R1"])
    assert ContainerRead("HPLU2529947", True) in reads
    assert verdict([["HPLU252994", "7", "42R1"]], containers=("HPLU2529947",)).verdict == "pass"


def test_a_box_edge_read_as_a_letter_is_an_unreadable_digit_not_a_wrong_one() -> None:
    assert containers_read(["CSQU305438I"]) == [ContainerRead("CSQU305438", False)]


def test_a_wrong_check_digit_read_fails_even_when_another_frame_lacks_it() -> None:
    r = verdict([["CSQU305438"], ["CSQU3054384"]], containers=("CSQU3054383",))
    assert r.verdict == "fail" and r.code == "container_check_digit_invalid"
    assert "CSQU3054384" in r.detail


def test_the_full_number_anywhere_wins_over_a_misread_frame() -> None:
    r = verdict([["CSQU3054384"], ["CSQU 305438 3"]], containers=("CSQU3054383",))
    assert r.verdict == "pass" and r.code == "identity_matched"


def test_another_containers_number_never_matches() -> None:
    # same owner code, another serial with its own valid digit: not the declared container
    r = verdict([["CSQU3054383"]], containers=("CSQU3054391",))
    assert r.verdict == "fail" and r.code == "container_not_read"
    r = verdict([["CSQU305439"]], containers=("CSQU3054383",))
    assert r.verdict == "fail"


def test_the_size_type_line_does_not_lend_a_check_digit() -> None:
    # "TSVU189741" + "45G1" must not become TSVU1897414 (a wrong digit) and fail
    r = verdict([["TSVU189741 45G1"]], containers=("TSVU1897411",))
    assert r.verdict == "pass" and r.params["check_digit_not_read"] == "TSVU1897411"
    # while a digit boxed apart on the same line is the check digit, here a wrong one
    assert verdict([["TSVU189741 4"]], containers=("TSVU1897411",)).verdict == "fail"


# --- plates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [["123ABC02"], ["123 ABC 02"], ["02", "123ABC"], ["KZ", "123 ABC|02"], ["I23ABCO2"],
     ["H123ABC02"], ["ABC 02 123"]],
)  # fmt: skip
def test_kazakh_plate_read_in_any_order_with_confusions(lines: list[str]) -> None:
    assert plate_read(lines, "123ABC02")
    assert verdict([lines], vehicle_plate="123 ABC 02").verdict == "pass"


@pytest.mark.parametrize(
    "lines",
    [["1234ABC02"], ["123ABD02"], ["123ABC02 22G1"], ["123AB", "02"], ["12ABC02"]],
)
def test_plate_parts_must_be_whole_groups(lines: list[str]) -> None:
    declared = "123ABC22" if lines == ["123ABC02 22G1"] else "123ABC02"
    assert not plate_read(lines, declared)


def test_a_read_twice_cannot_lend_its_letters_to_another_region() -> None:
    # the frame's line and its enlarged crop: "TD" of MTD must not stand for region 10
    lines = ["631 MTD 09", "631", "MTD", "09"]
    assert plate_read(lines, "631MTD09") and not plate_read(lines, "631MTD10")


def test_legal_entity_plate_groups() -> None:
    assert plate_groups("123 AB 02") == [("D", "123"), ("L", "AB"), ("D", "02")]
    assert plate_read(["123AB 02"], "123 AB 02") and not plate_read(["123ABC02"], "123 AB 02")


# --- wagons ------------------------------------------------------------------------------


def test_wagon_numbers_with_their_check_digit() -> None:
    assert is_valid_wagon("74706177")
    assert wagons_read(["7470 6177", " 61T 23.2"]) == [("74706177", True)]
    assert wagons_read(["74706178"]) == [("74706178", False)]
    # a stray mark read as a ninth digit: only the windows whose check digit holds
    assert ("74706177", True) in wagons_read(["747061770"])
    assert all(ok for _, ok in wagons_read(["747061770"]))
    assert wagons_read(["74706177012"]) == []  # eleven digits: not a wagon number


def test_rail_exterior_matches_declared_wagons_only_with_a_valid_digit() -> None:
    ok = verdict([["7470 6177"]], wagons=("74706177",), post_kind="rail")
    assert ok.verdict == "pass" and ok.code == "identity_matched"
    misread = verdict([["74706178"]], wagons=("74706177",), post_kind="rail")
    assert misread.verdict == "fail" and misread.code == "wagon_not_read"
    # another valid number read where a wagon is declared: never a match
    other = verdict([["29207156"]], wagons=("74706177",), post_kind="rail")
    assert other.verdict == "fail" and other.params["wagons_not_declared"] == "29207156"


def test_rail_with_wagons_and_no_container_reads_wagons_and_ignores_the_plate() -> None:
    r = verdict([["86648615"]], wagons=("86648615",), vehicle_plate="123ABC02", post_kind="rail")
    assert r.verdict == "pass" and (r.params["declared"], r.params["matched"]) == (1, 1)


def test_nothing_read_where_something_is_declared_fails() -> None:
    r = verdict([[]], wagons=("86648615",), post_kind="rail")
    assert r.verdict == "fail" and r.score == 0.0


# --- rendered markings through the real OCR ------------------------------------------------


@functools.cache
def _reader() -> identity.RapidOcrReader:
    return identity.RapidOcrReader()


@pytest.mark.parametrize(
    ("kind", "px", "seed"),
    [("container", 24, 11), ("plate", 22, 12), ("wagon", 22, 13), ("container", 14, 14)],
)
def test_rendered_marking_is_read_and_matched(kind: str, px: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    number = images.RANDOM[kind](rng)
    frame = images.RENDER[kind](number, px, rng, blur=0.6, dirt=0.4, tilt=0.15)  # type: ignore[operator]
    lines = _reader().read(frame)
    facts = {
        "container": {"containers": (number,)},
        "plate": {"vehicle_plate": number},
        "wagon": {"wagons": (number,), "post_kind": "rail"},
    }[kind]
    assert verdict([lines], **facts).verdict == "pass", (number, lines)


def test_small_text_is_cropped_enlarged_and_read_again() -> None:
    rng = np.random.default_rng(21)
    number = images.random_wagon(rng)
    frame = images.wagon_side(number, 12, rng)
    first, enlarged = _reader().read_passes(frame)
    assert enlarged, first  # 12 px text is under the enlarging threshold
    assert any(n == number and ok for n, ok in wagons_read(enlarged)), (first, enlarged)
