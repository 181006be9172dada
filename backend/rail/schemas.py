"""Consist Structs: the railway's pre-arrival message in, the aligned train out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Text = Annotated[str, msgspec.Meta(max_length=200)]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class GoodsIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hs_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4,10}$")]
    description: Text = ""
    packaging: Text = ""
    places: Annotated[int, msgspec.Meta(ge=0)] = 0
    gross_kg: Annotated[float, msgspec.Meta(ge=0)] = 0.0


class WagonIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    position: Annotated[int, msgspec.Meta(gt=0, le=500)]
    wagon_number: Short
    container_numbers: list[Short] = []
    consignor: Text = ""
    consignee: Text = ""
    goods: Annotated[list[GoodsIn], msgspec.Meta(max_length=100)] = []


class ConsistIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    train_number: Short
    station: Short  # the code of the rail post where the train is scanned
    expected_at: datetime
    wagons: Annotated[list[WagonIn], msgspec.Meta(min_length=1, max_length=500)]


WagonState = Literal["scanned", "missing", "out_of_order", "number_disagrees"]


class ScanRef(msgspec.Struct, frozen=True):
    id: str
    image_id: str
    wagon_number: str
    scanned_at: datetime
    verdict: str | None


class WagonOut(msgspec.Struct, frozen=True):
    position: int
    wagon_number: str
    container_numbers: list[str]
    consignor: str
    consignee: str
    goods: list[GoodsIn]
    state: WagonState
    scan: ScanRef | None
    declaration_ids: list[str]  # open declarations naming the wagon, and its scan's links


class ConsistOut(msgspec.Struct, frozen=True):
    id: str
    post_code: str
    train_number: str
    train_date: str
    station: str
    expected_at: datetime
    created_at: datetime
    wagons: list[WagonOut]
    unexpected: list[ScanRef]  # scans of the train whose wagon the consist does not list
    counts: dict[str, int]
