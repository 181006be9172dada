"""The IDK conclusion as PDF (fpdf2), with the DejaVu fonts shipped beside this module: the
app never depends on the fonts a host happens to have. Blocking: call from a worker thread."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF

from backend.idk.conclusion import (
    FORM,
    TITLE,
    ConclusionDoc,
    area_lines,
    fields,
    model_lines,
    when,
)
from backend.idk.crops import Pictures

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"


class _Form(FPDF):
    draft = False

    def header(self) -> None:
        self.set_font(FAMILY, size=8)
        self.set_text_color(90)
        self.cell(0, 4, FORM, new_x="LMARGIN", new_y="NEXT", align="R")
        if self.draft:
            self.set_font(FAMILY, "B", 12)
            self.set_text_color(180, 0, 0)
            self.cell(0, 7, "ПРОЕКТ — решение оператором не принято", new_x="LMARGIN",
                      new_y="NEXT", align="C")
        self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"Документ сформирован электронно системой «Досмотр». Стр. {self.page_no()}",
                  align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=9)


def _picture(pdf: FPDF, png: bytes, width: float) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        w, h = im.size
    height = width * h / w
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width)
    pdf.ln(1)


def render_pdf(doc: ConclusionDoc, pictures: Pictures) -> bytes:
    pdf = _Form(format="A4")
    pdf.draft = doc.draft
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    # a fixed date makes the same conclusion the same bytes (its digest is in the audit log)
    pdf.set_creation_date(doc.issued_at)
    pdf.set_title(f"{TITLE} — {doc.image_id}")
    pdf.set_author("Dosmotr")
    pdf.set_lang("ru")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 14)
    pdf.cell(0, 8, TITLE, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font(FAMILY, size=9)
    pdf.cell(0, 5, f"Снимок {doc.image_id}, сформировано {when(doc.issued_at)}",
             new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(2)
    with pdf.table(col_widths=(8, 62, 120), text_align=("RIGHT", "LEFT", "LEFT"),
                   first_row_as_headings=False, line_height=5) as table:
        for i, (label, value) in enumerate(fields(doc)):
            row = table.row()
            row.cell(str(i + 1))
            row.cell(label)
            row.cell(value)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    _heading(pdf, "Снимок и зоны риска")
    _picture(pdf, pictures.overview, width)
    pdf.multi_cell(0, 4, "Красным — зоны риска оператора, синим — области, отмеченные моделью.",
                   new_x="LMARGIN", new_y="NEXT")
    if not doc.risk_areas:
        pdf.multi_cell(0, 5, "Зоны риска не отмечены.", new_x="LMARGIN", new_y="NEXT")
    for png, line in zip(pictures.crops, area_lines(doc), strict=True):
        pdf.ln(1)
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        _picture(pdf, png, min(width, 110))
    _heading(pdf, "Оценка модели (вспомогательная; решение принимает оператор)")
    for line in model_lines(doc):
        pdf.multi_cell(0, 5, "• " + line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(0, 7, f"Оператор ИДК: {doc.operator or '—'}", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, f"Подпись: ______________________        Дата: {when(doc.verdict_at)}",
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
