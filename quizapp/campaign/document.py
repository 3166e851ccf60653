"""The document layout of Nghị định 30/2020/NĐ-CP as a python-docx writer: A4, margins, Times New
Roman 14, the header of issuer and national motto, the signature block, quick paragraph and table helpers.

Owns: how a Vietnamese administrative document looks (``DocxWriter``).
Must not: compute any figure or know which report it writes (the periodic report in ``reports`` and
the plans' reports in ``quizapp/plans`` fill it).
"""
from __future__ import annotations

from datetime import datetime

from quizapp.campaign import render, wording


class DocxWriter:
    """An A4 document in the layout of Nghị định 30/2020 (margins, Times New Roman 14, the header of
    issuer and national motto, the signature block), with quick paragraph and table helpers.
    Shared by this report and the plans' reports (quizapp/plans)."""

    def __init__(self):
        from docx import Document
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Mm, Pt

        self.Mm, self.Pt, self.qn = Mm, Pt, qn
        self.center, self.justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
        doc = self.doc = Document()
        section = doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        # Nghị định 30/2020: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
        section.top_margin, section.bottom_margin = Mm(20), Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
        normal = doc.styles["Normal"]
        normal.font.name = "Times New Roman"
        normal.font.size = Pt(14)
        normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
        normal.paragraph_format.space_after = Pt(6)
        # Table cells: Times New Roman 13, no spacing; one style each for left and centred cells
        # (styles instead of per-run formatting keep a 200-unit table quick to write).
        self.cell_styles = {}
        for name, align in (("Ô bảng", None), ("Ô bảng giữa", WD_ALIGN_PARAGRAPH.CENTER)):
            style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
            style.font.size = Pt(13)
            style.paragraph_format.space_after = Pt(0)
            style.paragraph_format.space_before = Pt(0)
            style.paragraph_format.alignment = align
            self.cell_styles[align] = style.style_id

    def para(self, text="", bold=False, italic=False, size=14, align=None, cell=None, space_after=6, upper=False,
             first=False):
        """A paragraph of one run; in a cell, ``first`` fills the cell's own empty paragraph."""
        if cell is not None and first:
            p = cell.paragraphs[0]
        else:
            p = cell.add_paragraph() if cell is not None else self.doc.add_paragraph()
            if cell is not None and cell.paragraphs[0].text == "" and len(cell.paragraphs) == 2:
                cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
        run = p.add_run(wording.nfc(text).upper() if upper else wording.nfc(text))
        run.bold, run.italic, run.font.size = bold, italic, self.Pt(size)
        run.font.name = "Times New Roman"
        if align is not None:
            p.alignment = align
        p.paragraph_format.space_after = self.Pt(space_after)
        p.paragraph_format.space_before = self.Pt(0)
        return p

    def widths(self, table, mm):
        """Column widths that Word and LibreOffice both follow (the grid and every cell)."""
        qn = self.qn
        table.autofit = False
        grid = table._tbl.tblGrid
        for col, w in zip(grid.findall(qn("w:gridCol")), mm):
            col.set(qn("w:w"), str(int(w * 56.7)))  # twentieths of a point
        for i, cell in enumerate(table._cells):  # every cell in one pass (row.cells is O(rows) each)
            cell.width = self.Mm(mm[i % len(mm)])

    def table(self, heads, rows, mm=None):
        from docx.enum.table import WD_TABLE_ALIGNMENT

        # All rows at once, filled through one flat list of cells: python-docx's add_row() and
        # row.cells cost O(rows) each, so a 200-unit table built row by row is quadratic.
        t = self.doc.add_table(rows=1 + len(rows), cols=len(heads))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        cells = t._cells
        for i, head in enumerate(heads):
            self.para(head, bold=True, size=13, align=self.center, cell=cells[i], space_after=0, first=True)
        n = len(heads)
        for r, row in enumerate(rows, start=1):
            for i, value in enumerate(row):
                p = cells[r * n + i].paragraphs[0]
                p._p.style = self.cell_styles[None if i == 1 else self.center]  # the style id, no lookup by name
                p.add_run(wording.nfc(str(value)))
        if mm:
            self.widths(t, mm)
        self.doc.add_paragraph()
        return t

    def header(self, organiser: str, issuer: str, number: str, place: str, when: datetime) -> None:
        """Issuer and number on the left, the national motto and the place and date on the right."""
        from docx.enum.table import WD_TABLE_ALIGNMENT

        para, center = self.para, self.center
        header = self.doc.add_table(rows=1, cols=2)
        header.alignment = WD_TABLE_ALIGNMENT.CENTER
        left, right = header.rows[0].cells
        self.widths(header, [68, 97])
        para(organiser, size=12, align=center, cell=left, space_after=0, upper=True)
        para(issuer, bold=True, size=13, align=center, cell=left, space_after=0, upper=True)
        para("–––––––", size=13, align=center, cell=left, space_after=4)
        para(f"Số: {number}", size=13, align=center, cell=left, space_after=0)
        para("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, align=center, cell=right, space_after=0)
        para("Độc lập - Tự do - Hạnh phúc", bold=True, size=14, align=center, cell=right, space_after=0)
        para("–––––––––––––––––––––", size=13, align=center, cell=right, space_after=4)
        para(render.place_date_line(place, when), italic=True, size=14, align=center, cell=right, space_after=0)
        self.doc.add_paragraph()

    def signature(self, recipients: list[str], signer_title: str, signer_name: str) -> None:
        """"Nơi nhận" on the left, the signer on the right."""
        para, center = self.para, self.center
        sign = self.doc.add_table(rows=1, cols=2)
        left, right = sign.rows[0].cells
        self.widths(sign, [80, 85])
        para("Nơi nhận:", bold=True, italic=True, size=12, cell=left, space_after=0)
        for line in recipients:
            para(line, size=11, cell=left, space_after=0)
        para(signer_title, bold=True, size=14, align=center, cell=right, space_after=60, upper=True)
        para(signer_name or " ", bold=True, size=14, align=center, cell=right, space_after=0)
