"""The X-ray model's second opinion: declared goods against the image, and what a disagreement
with the operator sets off.

The model (media_pipeline.vision.xray) gives regions and load figures; here they meet the
declarations linked to the scan. Each declaration contributes its share of goods to this scan
(a ten-wagon declaration puts a tenth of its weight into each wagon's image). Three checks,
each 0..1, the lowest decides:
- `loaded`: goods declared but the bay looks empty (or nothing declared and it is loaded);
- `homogeneous`: one kind of packaging declared, yet a dense block or an organic mass inside;
- `mass`: the mass the image's attenuation implies against the declared gross weight.
The operator decides; a `clear` over a flagged image sends the linked declarations to
inspection (`idk_model_disagreement`) and alerts the post head.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.idk import assist_repo
from backend.idk.schemas import (
    Anomaly,
    Assessment,
    Consistency,
    ConsistencyCheck,
    ImageFigures,
    ModelRef,
)
from backend.inspections.service import require_inspection
from backend.rail.goods import pre_arrival_lines

DISAGREEMENT = "idk_model_disagreement"
DISPLAY_EXPORT = "xray_display_export"
DEFAULT_THRESHOLDS = {"anomaly": 0.5, "consistency": 0.5}
CONCEALMENTS = ("dense_block", "organic_mass")
# Free-text packaging of declaration lines (Russian, Kazakh customs practice, English) -> kind.
PACKAGING_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("machinery", ("без упак", "оборудов", "unpacked", "machinery", "станок")),
    ("pallets", ("паллет", "поддон", "pallet")),
    ("boxes", ("короб", "картон", "ящик", "box", "carton", "case")),
    ("bags", ("меш", "биг-бэг", "бигбэг", "bag", "sack")),
    ("barrels", ("бочк", "бочек", "барабан", "канистр", "drum", "barrel")),
    ("bulk", ("навал", "насып", "налив", "bulk")),
)
HOMOGENEOUS_KINDS = frozenset({"boxes", "bags", "barrels", "pallets", "bulk"})


class DeclaredGoods(msgspec.Struct, frozen=True):
    """This scan's share of the goods of its linked declarations."""

    declaration_ids: list[str]
    gross_kg: float
    places: float
    kinds: list[str]  # packaging kinds named by the lines


def packaging_kind(text: str) -> str:
    low = text.lower()
    for kind, words in PACKAGING_WORDS:
        if any(w in low for w in words):
            return kind
    return "other"


def _share(decl: Any, wagon: str, containers: list[str]) -> float:
    """The part of a declaration's goods this scan shows: by wagons if it names wagons, else
    by containers (a container on a scanned wagon is the same vehicle, not another share)."""
    wagons = list(decl["wagons"])
    if wagons:
        return (1.0 if wagon in wagons else 0.0) / len(wagons) if wagon else 0.0
    boxes = list(decl["containers"])
    if not boxes:
        return 1.0
    return sum(1 for c in boxes if c in containers) / len(boxes)


def declared_goods(rows: list[Any], wagon: str, containers: list[str]) -> DeclaredGoods | None:
    if not rows:
        return None
    gross = places = 0.0
    kinds: set[str] = set()
    for d in rows:
        share = _share(d, wagon, containers)
        for line in d["lines"]:
            gross += share * float(line["gross_kg"])
            places += share * float(line["places"])
            kinds.add(packaging_kind(str(line["packaging"])))
    return DeclaredGoods([str(d["id"]) for d in rows], round(gross, 1), round(places, 2),
                         sorted(kinds))


async def goods_for_scan(conn: asyncpg.Connection, scan: Any, rows: list[Any]) -> DeclaredGoods | None:
    """The linked declarations' goods; while none is linked, the railway's pre-arrival goods of
    the scan's wagon (no declaration ids: nothing to send to inspection, the operator decides)."""
    goods = declared_goods(rows, scan["wagon_number"], list(scan["container_numbers"]))
    if goods is not None:
        return goods
    lines = await pre_arrival_lines(conn, str(scan["id"]))
    if lines is None:
        return None
    return DeclaredGoods([], round(sum(float(x.get("gross_kg", 0)) for x in lines), 1),
                         round(sum(float(x.get("places", 0)) for x in lines), 2),
                         sorted({packaging_kind(str(x.get("packaging", ""))) for x in lines}))


def _tonnes(kg: float) -> str:
    return f"{kg / 1000:.1f} t" if kg >= 1000 else f"{kg:.0f} kg"


def _loaded(goods: DeclaredGoods, image: ImageFigures) -> ConsistencyCheck | None:
    if image.fill is None:
        return None
    fill = image.fill
    if goods.gross_kg > 0 or goods.places > 0:
        score = min(1.0, max(0.0, (fill - 0.08) / 0.22))
        detail = (f"declared {goods.places:g} places, {_tonnes(goods.gross_kg)}; cargo along "
                  f"{fill:.0%} of the bay")
        if score < 0.5:
            detail += ": the bay looks (nearly) empty"
        return ConsistencyCheck("loaded", round(score, 3), detail, fill, goods.places)
    score = min(1.0, max(0.0, (0.45 - fill) / 0.3))
    return ConsistencyCheck("loaded", round(score, 3),
                            f"declared empty; cargo along {fill:.0%} of the bay", fill, 0.0)


def _homogeneous(goods: DeclaredGoods, anomalies: list[Anomaly],
                 threshold: float) -> ConsistencyCheck | None:
    if len(goods.kinds) != 1 or goods.kinds[0] not in HOMOGENEOUS_KINDS:
        return None
    hidden = [a for a in anomalies if a.kind in CONCEALMENTS and a.score >= threshold]
    if not hidden:
        return ConsistencyCheck("homogeneous", 1.0,
                                f"only {goods.kinds[0]} declared; nothing foreign inside", 0.0, 0.0)
    worst = max(hidden, key=lambda a: a.score)
    return ConsistencyCheck(
        "homogeneous", round(min(0.5, 1.0 - worst.score), 3),
        f"only {goods.kinds[0]} declared, but a {worst.kind.replace('_', ' ')} at "
        f"({worst.x}, {worst.y}) {worst.w}x{worst.h} px (score {worst.score:.2f})",
        worst.score, 0.0,
    )


def _mass(goods: DeclaredGoods, image: ImageFigures) -> ConsistencyCheck | None:
    if goods.gross_kg <= 0:
        return None
    est = max(image.mass_kg, 1.0)
    ratio = est / goods.gross_kg
    # agreement within 2.5x either way (calibration is approximate); none beyond 10x
    off = abs(math.log(ratio))
    score = 1.0 if off <= math.log(2.5) else max(0.0, 1.0 - (off - math.log(2.5)) / math.log(4))
    return ConsistencyCheck(
        "mass", round(score, 3),
        f"the image implies about {_tonnes(est)}, declared {_tonnes(goods.gross_kg)} "
        f"for this vehicle (ratio {ratio:.2f})", round(est, 1), goods.gross_kg,
    )


def consistency(goods: DeclaredGoods | None, image: ImageFigures, anomalies: list[Anomaly],
                thresholds: dict[str, float]) -> Consistency:
    if goods is None:
        return Consistency(None, "no linked declaration to compare with")
    checks = [c for c in (_loaded(goods, image),
                          _homogeneous(goods, anomalies, thresholds["anomaly"]),
                          _mass(goods, image)) if c is not None]
    if not checks:
        return Consistency(None, "nothing declared that the image can confirm")
    worst = min(checks, key=lambda c: c.score)
    detail = worst.detail if worst.score < 1.0 else "the image agrees with the declared goods"
    return Consistency(worst.score, detail, checks)


def judge(model: ModelRef, anomalies: list[Anomaly], image: ImageFigures,
          goods: DeclaredGoods | None, thresholds: dict[str, float],
          assessed_at: datetime) -> Assessment:
    th = {**DEFAULT_THRESHOLDS, **thresholds}
    cons = consistency(goods, image, anomalies, th)
    seen = sorted({f"anomaly:{a.kind}" for a in anomalies if a.score >= th["anomaly"]})
    if cons.score is not None and cons.score < th["consistency"]:
        seen += [f"consistency:{c.name}" for c in cons.checks if c.score < th["consistency"]]
    reasons = [r for r in seen if not _advisory(r, image)]
    return Assessment(
        model=model, anomalies=anomalies, consistency=cons, flagged=bool(reasons),
        reasons=reasons, image=image, thresholds=th,
        declaration_ids=goods.declaration_ids if goods else [], assessed_at=assessed_at,
        export=image.export, calibrated=image.calibrated,
        advisory=[r for r in seen if r not in reasons], warnings=warnings(image),
    )


def _advisory(reason: str, image: ImageFigures) -> bool:
    """A display-LUT export has lost the linear transmission the model reads (concealment
    recall 0.20 against 1.00 raw on the independent generator): all it says is advisory. On an
    uncalibrated scanner only the mass check is: it is the one figure in kilograms, resting on
    pixel pitch and detector levels; the fill of the bay is read against the vehicle's own
    outline and the `homogeneous` check against anomaly regions, which count either way."""
    if image.export == "display":
        return True
    return reason == "consistency:mass" and not image.calibrated


def warnings(image: ImageFigures) -> list[str]:
    out = []
    if image.export == "display":
        out.append(DISPLAY_EXPORT)
    elif image.export == "inverted":
        out.append("xray_inverted_export")
    if not image.calibrated:
        out.append("xray_uncalibrated")
    return out


async def enforce_disagreement(
    conn: asyncpg.Connection, scan: Any, assessment: Assessment | None, actor_id: str | None
) -> list[str]:
    """Inside the caller's transaction, with the scan row locked: if the operator said `clear`
    over a flagged image, every linked open declaration must be inspected. Returns the
    declarations newly sent to inspection."""
    if scan["verdict"] != "clear" or assessment is None or not assessment.flagged:
        return []
    linked = [str(r["id"]) for r in await assist_repo.declared_for_scan(conn, scan["id"])]
    fresh = await assist_repo.open_without_reason(conn, linked, DISAGREEMENT)
    for declaration_id in fresh:
        await require_inspection(conn, declaration_id, reason=DISAGREEMENT, actor_id=actor_id)
    if not fresh and linked:
        return []  # every linked declaration is already being inspected for it
    alerted = await raise_alert(
        conn, kind=DISAGREEMENT, post_code=scan["post_code"], object_type="idk_scan",
        object_id=scan["id"], title=f"ИДК: оператор не согласен с моделью — {scan['image_id']}",
        body=(f"Снимок {scan['image_id']} признан оператором чистым, но модель отметила: "
              f"{', '.join(assessment.reasons)}. "
              + (f"По связанным декларациям ({len(fresh)}) назначен досмотр." if fresh else
                 "Деклараций пока не связано: досмотр будет назначен при связывании.")),
        dedupe_key=f"{DISAGREEMENT}:{scan['id']}:{','.join(fresh) or 'unlinked'}",
        link=f"/idk/{scan['id']}", code=DISAGREEMENT,
        params={"image_id": scan["image_id"], "reasons": ",".join(assessment.reasons),
                "declarations": len(fresh)},
    )
    if fresh or alerted:
        await audit.append(
            conn, actor_id=actor_id, action="idk_scan.model_disagreement",
            object_type="idk_scan", object_id=scan["id"],
            payload={"reasons": assessment.reasons, "declaration_ids": fresh,
                     "model": msgspec.to_builtins(assessment.model)},
        )
    return fresh


async def _record(
    conn: asyncpg.Connection, scan: Any, assessment: Assessment, why: str, actor_id: str | None
) -> int:
    """A new assessment version, audited; the disagreement rule applied to it."""
    version = await assist_repo.add_assessment(conn, scan["id"], assessment, why)
    await audit.append(
        conn, actor_id=actor_id, action="idk_scan.assessed", object_type="idk_scan",
        object_id=scan["id"],
        payload={"model": msgspec.to_builtins(assessment.model), "flagged": assessment.flagged,
                 "reasons": assessment.reasons, "anomalies": len(assessment.anomalies),
                 "consistency": assessment.consistency.score,
                 "declaration_ids": assessment.declaration_ids, "version": version, "why": why},
    )
    await enforce_disagreement(conn, scan, assessment, actor_id)
    if DISPLAY_EXPORT in assessment.warnings:
        await _ask_for_raw_export(conn, scan, assessment)
    return version


async def _ask_for_raw_export(conn: asyncpg.Connection, scan: Any, assessment: Assessment) -> None:
    """Tell the post once per scan that the model read a display copy: its opinion is advisory
    until the scanner's raw export is registered."""
    advisory = ", ".join(assessment.advisory) or "—"
    await raise_alert(
        conn, kind=DISPLAY_EXPORT, post_code=scan["post_code"], object_type="idk_scan",
        object_id=scan["id"], title=f"ИДК: нужен исходный (16-бит) снимок — {scan['image_id']}",
        body=(f"Снимок {scan['image_id']} выгружен как 8-битная копия для просмотра: мнение "
              f"модели только справочное ({advisory}). Выгрузите исходный снимок сканера."),
        dedupe_key=f"{DISPLAY_EXPORT}:{scan['id']}", link=f"/idk/{scan['id']}",
        code=DISPLAY_EXPORT, params={"image_id": scan["image_id"], "advisory": advisory},
    )


async def store(
    conn: asyncpg.Connection, scan_id: str, assessment: Assessment, why: str = "registered"
) -> bool:
    """Record the model's assessment (worker side) and act on a disagreement; False if the
    scan is gone."""
    async with conn.transaction():
        scan = await assist_repo.lock_scan(conn, scan_id)
        if scan is None:
            return False
        rows = await assist_repo.declared_for_scan(conn, scan_id)
        if sorted(str(r["id"]) for r in rows) != sorted(assessment.declaration_ids):
            # the links changed while the model ran: judge against the ones that hold now
            goods = await goods_for_scan(conn, scan, rows)
            assessment = judge(assessment.model, assessment.anomalies, assessment.image, goods,
                               assessment.thresholds, assessment.assessed_at)
        await _record(conn, scan, assessment, why, actor_id=None)
    return True


def _same(a: Assessment, b: Assessment) -> bool:
    """Equal but for the time it was made."""
    return msgspec.structs.replace(a, assessed_at=b.assessed_at) == b


async def rejudge(
    conn: asyncpg.Connection, scan_id: str, why: str, actor_id: str | None, now: datetime
) -> Assessment | None:
    """The scan's linked declarations changed (a declaration arrived, a manual link, an
    unlink): inside the caller's transaction, judge the same image opinion against the goods
    declared now and keep it as a new version, with the disagreement rule applied to it.
    Returns the new assessment; None when the model has not run yet (its run reads the links
    then) or nothing changed."""
    scan = await assist_repo.lock_scan(conn, scan_id)
    if scan is None or not scan["assessment"]:
        return None
    previous = msgspec.convert(scan["assessment"], Assessment)
    rows = await assist_repo.declared_for_scan(conn, scan_id)
    goods = await goods_for_scan(conn, scan, rows)
    judged = judge(previous.model, previous.anomalies, previous.image, goods,
                   previous.thresholds, now)
    if _same(judged, previous):
        await enforce_disagreement(conn, scan, previous, actor_id)
        return None
    await _record(conn, scan, judged, why, actor_id)
    return judged
