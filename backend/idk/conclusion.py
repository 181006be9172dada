"""The conclusion on an IDK image (appendix 3 form, «Заключение по результатам ИДК»): what it
says, worded once for both renderings, and its HTML rendering (PDF: `conclusion_pdf`).

Everything the form shows comes from the scan's record; the pictures are made from the stored
image. A document made before the verdict is a draft and says so on every page.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime, timedelta, timezone

import msgspec

from backend.idk.crops import Pictures
from backend.idk.schemas import Assessment, RiskArea

# Kazakhstan keeps one time zone, UTC+5, since 2024; the form shows local post time.
POST_TZ = timezone(timedelta(hours=5))
TITLE = "Заключение по результатам ИДК"
FORM = "Приложение 3 к порядку проведения таможенного досмотра"
VERDICTS = {
    "suspicion": "ИДК-контроль: под подозрением. Требуется таможенный досмотр.",
    "clear": "ИДК-контроль пройден: признаков несоответствия сведениям о товаре не выявлено.",
    None: "Решение оператором ИДК не принято (проект).",
}
KINDS = {"dense_block": "плотный объект", "void": "пустота", "organic_mass": "органическая масса"}
CHECKS = {"loaded": "Загрузка", "homogeneous": "Однородность груза", "mass": "Масса"}


class ConclusionDoc(msgspec.Struct, frozen=True):
    post: str
    scanner: str
    composition_number: str
    wagon_number: str
    container_numbers: list[str]
    scanned_at: datetime
    image_id: str
    image: str  # size, depth, digest
    declarations: list[str]
    verdict: str | None
    verdict_at: datetime | None
    operator: str | None
    risk_areas: list[RiskArea]
    assessment: Assessment | None
    issued_at: datetime

    @property
    def draft(self) -> bool:
        return self.verdict is None


def when(t: datetime | None) -> str:
    return t.astimezone(POST_TZ).strftime("%d.%m.%Y %H:%M:%S (UTC+05:00)") if t else "—"


def _kg(v: float) -> str:
    return f"{v / 1000:.1f} т" if v >= 1000 else f"{v:.0f} кг"


def fields(doc: ConclusionDoc) -> list[tuple[str, str]]:
    """The form's numbered lines, as (label, value)."""
    return [
        ("Таможенный пост", doc.post),
        ("ИДК (сканер)", doc.scanner),
        ("Номер поезда (состава)", doc.composition_number or "—"),
        ("Номер вагона (платформы)", doc.wagon_number or "—"),
        ("Номера контейнеров", ", ".join(doc.container_numbers) or "—"),
        ("Дата и время сканирования", when(doc.scanned_at)),
        ("Идентификатор снимка", doc.image_id),
        ("Снимок", doc.image),
        ("Декларации на товары", ", ".join(doc.declarations) or "не связаны"),
        ("Решение оператора ИДК", VERDICTS.get(doc.verdict, str(doc.verdict))),
        ("Дата и время решения", when(doc.verdict_at)),
    ]


def area_lines(doc: ConclusionDoc) -> list[str]:
    return [f"Зона {i + 1}: x={a.x}, y={a.y}, ширина {a.w}, высота {a.h} пикс."
            + (f" — {a.note}" if a.note else "") for i, a in enumerate(doc.risk_areas)]


def _check_text(name: str, score: float, observed: float | None, declared: float | None) -> str:
    label = CHECKS.get(name, name)
    if name == "loaded" and observed is not None:
        said = f"заявлено мест: {declared:g}" if declared else "заявлено порожним"
        return f"{label}: {said}; груз по длине кузова {observed:.0%} (оценка {score:.2f})"
    if name == "mass" and observed is not None and declared is not None:
        return f"{label}: по снимку около {_kg(observed)}, заявлено {_kg(declared)} (оценка {score:.2f})"
    if name == "homogeneous":
        found = "посторонний объект внутри" if score < 1 else "посторонних объектов нет"
        return f"{label}: заявлен один вид упаковки; {found} (оценка {score:.2f})"
    return f"{label}: оценка {score:.2f}"


def model_lines(doc: ConclusionDoc) -> list[str]:
    """The model's opinion, worded for the form; it assists, the operator decides."""
    a = doc.assessment
    if a is None:
        return ["Оценка модели к моменту заключения не получена."]
    lines = [f"Модель: {a.model.name}, SHA-256 {a.model.sha256[:16]}…; оценено {when(a.assessed_at)}."]
    shown = [r for r in a.anomalies if r.score >= a.thresholds.get("anomaly", 0.5)]
    if shown:
        lines += [f"Область: {KINDS.get(r.kind, r.kind)}, x={r.x}, y={r.y}, {r.w}×{r.h} пикс., "
                  f"уверенность {r.score:.2f}" for r in shown[:10]]
    else:
        lines.append("Аномальных областей выше порога не найдено.")
    c = a.consistency
    if c.score is None:
        lines.append("Соответствие сведениям о товаре: не оценивалось (нет связанных деклараций).")
    else:
        lines.append(f"Соответствие сведениям о товаре: {c.score:.2f} из 1.")
        lines += [_check_text(k.name, k.score, k.observed, k.declared) for k in c.checks]
    lines.append("Итог модели: " + ("ОТМЕЧЕНО — " + ", ".join(a.reasons) if a.flagged
                                    else "замечаний нет") + ".")
    if a.advisory:
        lines.append("Справочно (не основание для досмотра): " + ", ".join(a.advisory) + ".")
    lines.append(f"Выгрузка снимка: {EXPORTS.get(a.export, a.export)}; сканер "
                 + ("откалиброван." if a.calibrated else "не откалиброван (масса справочно)."))
    return lines


EXPORTS = {"raw": "исходная (16 бит)",
           "display": "8-битная копия для просмотра — нужен исходный снимок сканера",
           "inverted": "инвертированная, обращена обратно"}


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;margin:24px;color:#111}
h1{font-size:18px;margin:0}.form{font-size:11px;color:#444;margin-bottom:12px}
.draft{color:#b00;font-weight:bold;font-size:16px;border:2px solid #b00;padding:4px 8px}
table{border-collapse:collapse;width:100%}td{border:1px solid #999;padding:4px 6px;vertical-align:top}
td.n{width:24px;text-align:right}td.l{width:34%}img{max-width:100%;border:1px solid #ccc}
.crops{display:flex;flex-wrap:wrap;gap:12px}.crops figure{margin:0;max-width:48%}
.sign{margin-top:28px;line-height:2}
"""


def render_html(doc: ConclusionDoc, pictures: Pictures) -> bytes:
    e = html.escape
    rows = "".join(f'<tr><td class="n">{i + 1}</td><td class="l">{e(k)}</td><td>{e(v)}</td></tr>'
                   for i, (k, v) in enumerate(fields(doc)))
    crops = "".join(f"<figure>{_img(png, line)}<figcaption>{e(line)}</figcaption></figure>"
                    for png, line in zip(pictures.crops, area_lines(doc), strict=True))
    areas = crops or "<p>Зоны риска не отмечены.</p>"
    model = "".join(f"<li>{e(line)}</li>" for line in model_lines(doc))
    draft = '<p class="draft">ПРОЕКТ — решение оператором не принято</p>' if doc.draft else ""
    text = f"""<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>{e(TITLE)} — {e(doc.image_id)}</title>
<style>{_CSS}</style></head><body>
<div class="form">{e(FORM)}</div><h1>{e(TITLE)}</h1>{draft}
<p>Снимок {e(doc.image_id)}, сформировано {e(when(doc.issued_at))}</p>
<table>{rows}</table>
<h2>Снимок и зоны риска</h2>{_img(pictures.overview, "Снимок ИДК")}
<p>Красным — зоны риска оператора, синим — области, отмеченные моделью.</p>
<div class="crops">{areas}</div>
<h2>Оценка модели (вспомогательная, решение принимает оператор)</h2><ul>{model}</ul>
<div class="sign">Оператор ИДК: {e(doc.operator or "—")}<br>
Подпись: ______________________ &nbsp; Дата: {e(when(doc.verdict_at))}</div>
</body></html>
"""
    return text.encode("utf-8")
