import pytest

from contract.numbers import is_valid_container, iso6346_check_digit
from media_pipeline.checks import identity
from media_pipeline.checks.identity import container_candidates
from media_pipeline.context import DeclarationFacts
from tests import media


@pytest.mark.parametrize(
    ("number", "digit"),
    # worked by hand: C13 S30 Q28 U32 3 0 5 4 3 8 -> 6185 mod 11 = 3;
    # M24 S30 K21 U32 9 0 7 0 3 2 -> 2808 mod 11 = 3
    [("CSQU3054383", 3), ("MSKU9070323", 3), ("MAEU1234567", 7)],
)
def test_iso6346_check_digit_of_real_numbers(number: str, digit: int) -> None:
    assert iso6346_check_digit(number[:10]) == digit
    assert is_valid_container(number)


@pytest.mark.parametrize("number", ["CSQU3054384", "MSKU9070324", "CSQ3054383", "CSQX3054383"])
def test_wrong_digit_or_format_is_invalid(number: str) -> None:
    assert not is_valid_container(number)


def test_candidates_undo_ocr_confusions_by_position() -> None:
    assert container_candidates("CSQU 3O5438 3") == ["CSQU3054383"]
    assert container_candidates("M5KU 907032 3 plate 123ABC02") == ["MSKU9070323"]


def _signals(texts: list[tuple[float, str]]) -> object:
    class Media:
        pass

    m = Media()
    m.texts = tuple(texts)  # type: ignore[attr-defined]
    m.detections = None  # type: ignore[attr-defined]
    m.duration = 10.0  # type: ignore[attr-defined]
    return m


def test_declared_container_and_plate_read_passes() -> None:
    decl = DeclarationFacts(places=1, containers=("CSQU3054383",), vehicle_plate="123 ABC 02")
    r = identity.check(_signals([(2.0, "CSQU 305438 3"), (2.0, "123ABC02")]), decl, True)  # type: ignore[arg-type]
    assert r.verdict == "pass" and r.score == 1.0 and (2.0, 2.0) in r.times


def test_wrong_check_digit_read_fails_with_the_reason() -> None:
    decl = DeclarationFacts(places=1, containers=("CSQU3054383",))
    r = identity.check(_signals([(4.0, "CSQU3054384")]), decl, True)  # type: ignore[arg-type]
    assert r.verdict == "fail" and "check digit invalid" in r.detail and r.times == ((4.0, 4.0),)


def test_nothing_read_fails_and_no_ocr_warns() -> None:
    decl = DeclarationFacts(places=1, containers=("MSKU9070323",))
    assert identity.check(_signals([]), decl, True).verdict == "fail"  # type: ignore[arg-type]
    assert identity.check(_signals([]), decl, False).verdict == "warn"  # type: ignore[arg-type]


def test_a_post_may_make_an_unread_number_a_warning_but_never_a_wrong_one() -> None:
    decl = DeclarationFacts(places=1, containers=("MSKU9070323",))
    unread = identity.check(_signals([]), decl, True, "warn")  # type: ignore[arg-type]
    assert unread.verdict == "warn" and unread.code == "container_not_read", unread
    wrong = DeclarationFacts(places=1, containers=("CSQU3054383",))
    misread = identity.check(_signals([(4.0, "CSQU3054384")]), wrong, True, "warn")  # type: ignore[arg-type]
    assert misread.verdict == "fail" and misread.code == "container_check_digit_invalid"


def test_ocr_reads_a_container_number_drawn_large() -> None:
    frame = next(media.exterior("CSQU3054383", plate="123ABC02"))
    lines = identity.RapidOcrReader().read(frame)
    joined = " ".join(lines)
    assert "CSQU3054383" in container_candidates(joined)
    assert "123ABC02" in identity.normalise(joined)


def test_ocr_models_are_named_with_their_hashes() -> None:
    refs = identity.RapidOcrReader.model_refs()
    assert refs and all(len(sha) == 64 for _, sha in refs)
