"""Hostile import files, generated (never stored): used by tests/test_bank_hostile.py and
bench/bench_hostile_uploads.py.  Each builder returns (filename, bytes) under the 10 MB upload limit."""
from __future__ import annotations

import io
import zipfile

import openpyxl

HEADER = ["Lĩnh vực", "Câu hỏi", "Phương án A", "Phương án B", "Đáp án đúng"]


def _xlsx_parts() -> dict[str, bytes]:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(["TTHC", "Hỏi?", "Có", "Không", "A"])
    buf = io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {name: z.read(name) for name in z.namelist()}


def _zip(parts: dict[str, bytes], big: tuple[str, bytes, bytes, bytes, int] | None = None) -> bytes:
    """The parts zipped; ``big`` = (name, head, chunk, tail, repeats) is streamed, never held whole."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            if big and name == big[0]:
                continue
            z.writestr(name, data)
        if big:
            name, head, chunk, tail, repeats = big
            with z.open(name, "w", force_zip64=True) as f:
                f.write(head)
                per_block = max(1, 2**20 // len(chunk))
                block = chunk * per_block
                for _ in range(repeats // per_block):
                    f.write(block)
                f.write(chunk * (repeats % per_block))
                f.write(tail)
    return out.getvalue()


def xlsx_sheet_bomb(mb: int = 1024) -> tuple[str, bytes]:
    """A sheet whose XML inflates to `mb` MB (rows after the real ones)."""
    parts = _xlsx_parts()
    head, tail = parts["xl/worksheets/sheet1.xml"].split(b"</sheetData>")
    chunk = b"<row><c><v>1</v></c></row>"
    return "bom-trang-tinh.xlsx", _zip(parts, ("xl/worksheets/sheet1.xml", head, chunk, b"</sheetData>" + tail,
                                              mb * 2**20 // len(chunk)))


def xlsx_shared_strings_bomb(mb: int = 1024) -> tuple[str, bytes]:
    parts = _xlsx_parts()
    return "bom-chuoi.xlsx", _zip(parts, ("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/'
                                          b'spreadsheetml/2006/main"><si><t>', b"A" * 1024, b"</t></si></sst>",
                                          mb * 1024))


def xlsx_many_entries(n: int = 20000) -> tuple[str, bytes]:
    parts = _xlsx_parts()
    for i in range(n):
        parts[f"xl/media/x{i}.bin"] = b""
    return "nhieu-phan.xlsx", _zip(parts)


def xlsx_wide_row(mb: int = 30) -> tuple[str, bytes]:
    """Under the unpacked limit, but one row with a million cells, and rows far below."""
    parts = _xlsx_parts()
    sheet = parts["xl/worksheets/sheet1.xml"]
    cells = b"<c><v>1</v></c>" * (mb * 2**20 // 15)
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"</sheetData>", b"<row>" + cells + b"</row>" + b'<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>')
    sheet_xml = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.replace(b'<dimension ref="A1:E2"/>', b'<dimension ref="A1:XFD1048576"/>')
    return "hang-rong.xlsx", _zip(parts)


def xlsx_many_rows(mb: int = 30) -> tuple[str, bytes]:
    """Under the unpacked limit: a few hundred thousand short rows of questions."""
    parts = _xlsx_parts()
    sheet = parts["xl/worksheets/sheet1.xml"]
    row = b'<row><c t="inlineStr"><is><t>TTHC</t></is></c><c t="inlineStr"><is><t>H?</t></is></c></row>'
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", row * (mb * 2**20 // len(row)) + b"</sheetData>")
    return "nhieu-hang.xlsx", _zip(parts)


def yaml_alias_bomb() -> tuple[str, bytes]:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    lines += ["area: TTHC", "questions:", "  - text: Hỏi?", "    options: *l"]
    return "bom-bi-danh.yaml", "\n".join(lines).encode()


def yaml_alias_flood(n: int = 400000) -> tuple[str, bytes]:
    head = "area: TTHC\nx: &x {text: Có, correct: true}\nquestions:\n  - text: Hỏi?\n    options: [" 
    return "lu-bi-danh.yaml", (head + ", ".join(["*x"] * n) + "]\n").encode()


def gift_id_tags(kb: int = 8000) -> tuple[str, bytes]:
    return "the-id.gift", b"// " + b"[id:" * (kb * 256) + "\nHỏi?{=A ~B}\n".encode()


def gift_html_lt(kb: int = 8000) -> tuple[str, bytes]:
    return "html.gift", b"[html]" + b"<" * (kb * 1024) + "Hỏi?{=A ~B}\n".encode()


def gift_blank_lines(kb: int = 8000) -> tuple[str, bytes]:
    return "dong-trong.txt", b"\n" * (kb * 1024) + "Hỏi?{=A ~B}\n".encode()


def aiken_blank_lines(kb: int = 8000) -> tuple[str, bytes]:
    return "dong-trong.txt", " \n".encode() * (kb * 512) + b"Hoi?\nA) Co\nB) Khong\nANSWER: A\n"


def csv_utf16_tabs() -> tuple[str, bytes]:
    text = "\t".join(["Lĩnh vực", "Câu hỏi", "Phương án A", "Phương án B", "Đáp án đúng"]) + "\r\n"
    text += "\t".join(["TTHC", "Bộ phận một cửa đặt ở đâu?", "Ủy ban nhân dân", "Nhà văn hóa", "A"]) + "\r\n"
    return "unicode-text.csv", text.encode("utf-16")


ALL_REFUSED = {
    # name → (builder, expected ServiceError code or None when the file imports with row errors)
    "xlsx_sheet_bomb": (xlsx_sheet_bomb, "file_too_complex"),
    "xlsx_shared_strings_bomb": (xlsx_shared_strings_bomb, "file_too_complex"),
    "xlsx_many_entries": (xlsx_many_entries, "file_too_complex"),
    "xlsx_wide_row": (xlsx_wide_row, "file_too_complex"),
    "xlsx_many_rows": (xlsx_many_rows, "file_too_many_rows"),
    "yaml_alias_bomb": (yaml_alias_bomb, "file_yaml_alias"),
    "yaml_alias_flood": (yaml_alias_flood, "file_yaml_alias"),
    "gift_id_tags": (gift_id_tags, None),
    "gift_html_lt": (gift_html_lt, None),
    "gift_blank_lines": (gift_blank_lines, None),
    "aiken_blank_lines": (aiken_blank_lines, None),
}


def xlsx_at_the_caps(rows: int = 19990, cols: int = 14) -> tuple[str, bytes]:
    """Just under every cap: as much sheet as a question file may have (rows of numbers)."""
    parts = _xlsx_parts()
    head, tail = parts["xl/worksheets/sheet1.xml"].split(b"</sheetData>")
    row = b"<row>" + b"<c><v>12345</v></c>" * cols + b"</row>"
    return "tran.xlsx", _zip(parts, ("xl/worksheets/sheet1.xml", head, row, b"</sheetData>" + tail, rows))


ALL_REFUSED["xlsx_at_the_caps"] = (xlsx_at_the_caps, None)


def _docx_parts() -> dict[str, bytes]:
    import docx

    document = docx.Document()
    document.add_paragraph("Câu 1: Hỏi?")
    buf = io.BytesIO()
    document.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {name: z.read(name) for name in z.namelist()}


def docx_bomb(mb: int = 1024) -> tuple[str, bytes]:
    parts = _docx_parts()
    head, tail = parts["word/document.xml"].split(b"</w:body>")
    return "bom.docx", _zip(parts, ("word/document.xml", head, b"<w:p/>", b"</w:body>" + tail, mb * 2**20 // 6))


def docx_many_paragraphs(mb: int = 30) -> tuple[str, bytes]:
    """Under the unpacked limit: five million empty paragraphs."""
    parts = _docx_parts()
    head, tail = parts["word/document.xml"].split(b"</w:body>")
    return "nhieu-doan.docx", _zip(parts, ("word/document.xml", head, b"<w:p/>", b"</w:body>" + tail, mb * 2**20 // 6))


def moodle_xml_many_elements(mb: int = 9) -> tuple[str, bytes]:
    return "nhieu-the.xml", b"<quiz>" + b"<a/>" * (mb * 2**20 // 4) + b"</quiz>"


ALL_REFUSED.update({
    "docx_bomb": (docx_bomb, "file_too_complex"),
    "docx_many_paragraphs": (docx_many_paragraphs, "file_too_complex"),
    "moodle_xml_many_elements": (moodle_xml_many_elements, "file_too_complex"),
})


def docx_at_the_caps(paragraphs: int = 20500) -> tuple[str, bytes]:
    """Just under the tag cap: questions written as Word writes them (runs with properties)."""
    parts = _docx_parts()
    head, tail = parts["word/document.xml"].split(b"</w:body>")
    p = b'<w:p><w:pPr><w:jc w:val="both"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>A. Phuong an</w:t></w:r></w:p>'
    return "tran.docx", _zip(parts, ("word/document.xml", head, p, b"</w:body>" + tail, paragraphs))


def moodle_xml_at_the_caps(tags: int = 199_000) -> tuple[str, bytes]:
    return "tran.xml", b"<quiz>" + b"<a/>" * tags + b"</quiz>"


ALL_REFUSED.update({
    "docx_at_the_caps": (docx_at_the_caps, None),
    "moodle_xml_at_the_caps": (moodle_xml_at_the_caps, "file_empty"),
})


def aiken_answer_spaces(n: int = 400_000) -> tuple[str, bytes]:
    """An ANSWER line of letters and runs of spaces ending in a non-letter (backtracking was exponential)."""
    return "dap-an.txt", b"Hoi?\nA) Co\nB) Khong\nANSWER: A" + b"   A" * n + b"!\n"


def gift_open_brace_equals(mb: int = 8) -> tuple[str, bytes]:
    """A .txt whose only brace is never closed, followed by '=' signs (format detection rescanned them)."""
    return "ngoac.txt", b"Hoi? {" + b"=" * (mb * 2**20) + b"\n"


def docx_long_spaces(mb: int = 8) -> tuple[str, bytes]:
    """One paragraph: "Câu 1" and millions of spaces (question/option patterns rescanned them)."""
    parts = _docx_parts()
    head, tail = parts["word/document.xml"].split(b"</w:body>")
    paragraph = ('<w:p><w:r><w:t xml:space="preserve">Câu 1' + " " * (mb * 2**20) + "x</w:t></w:r></w:p>"
                 '<w:p><w:r><w:t xml:space="preserve">A. x' + " " * (mb * 2**20) + "B. y</w:t></w:r></w:p>").encode()
    parts["word/document.xml"] = head + paragraph + b"</w:body>" + tail
    return "khoang-trang.docx", _zip(parts)


ALL_REFUSED.update({
    "aiken_answer_spaces": (aiken_answer_spaces, None),
    "gift_open_brace_equals": (gift_open_brace_equals, None),
    "docx_long_spaces": (docx_long_spaces, None),
})
