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


# --- issue 20, item 16: the files an outside attack still found past the budget ---------------------------

def gift_tilde_flood(mb: int = 9) -> tuple[str, bytes]:
    """One GIFT question whose answer block is millions of "~" (each one an option)."""
    return "nga.gift", "Hỏi? {=A ".encode() + b"~" * (mb * 2**20) + b"}\n"


def gift_weight_flood(n: int = 1_900_000) -> tuple[str, bytes]:
    """One GIFT question of millions of weighted empty options ("~%50%")."""
    return "trong-so.gift", "Hỏi? {".encode() + b"~%50%" * n + b"}\n"


def xlsx_shared_strings_flood(mb: int = 30) -> tuple[str, bytes]:
    """Under the unpacked caps: 30 MB of shared strings, two million tiny distinct-looking texts."""
    parts = _xlsx_parts()
    chunk = b"<si><t>x</t></si>"
    return "chuoi-chia-se.xlsx", _zip(parts, (
        "xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', chunk,
        b"</sst>", mb * 2**20 // len(chunk)))


def docx_style_chain(mb: int = 31) -> tuple[str, bytes]:
    """A styles part of 31 MB: a chain of styles each based on the one before."""
    parts = _docx_parts()
    head, tail = parts["word/styles.xml"].split(b"</w:styles>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            if name != "word/styles.xml":
                z.writestr(name, data)
        with z.open("word/styles.xml", "w", force_zip64=True) as f:
            f.write(head)
            i, size = 0, 0
            while size < mb * 2**20:
                block = b"".join(b'<w:style w:type="paragraph" w:styleId="s%d"><w:name w:val="s%d"/>'
                                 b'<w:basedOn w:val="s%d"/></w:style>' % (j, j, j - 1) for j in range(i, i + 5000))
                f.write(block)
                size += len(block)
                i += 5000
            f.write(b"</w:styles>" + tail)
    return "chuoi-kieu.docx", out.getvalue()


def csv_wide_row(columns: int = 4_000_000) -> tuple[str, bytes]:
    head = ",".join(HEADER) + "\n"
    return "cot-rong.csv", head.encode() + "TTHC,Hỏi?,Có,Không,A".encode() + b"," * columns + b"\n"


def yaml_merge_flood(n: int = 200_000) -> tuple[str, bytes]:
    """Merge keys (<<) that copy one mapping into every question again and again."""
    head = "area: TTHC\nbase: &b {text: Hỏi?, options: [{text: Có, correct: true}, {text: Không}]}\nquestions:\n"
    return "lu-gop.yaml", (head + "".join("  - {<<: [*b, *b, *b, *b]}\n" for _ in range(n))).encode()


def yaml_many_questions(n: int = 25_000) -> tuple[str, bytes]:
    """More questions than the limit (20,000), each one valid."""
    lines = ["area: TTHC", "questions:"]
    for i in range(n):
        lines.append(f"  - text: Câu hỏi số {i} về thủ tục hành chính tại bộ phận một cửa?")
        lines.append("    options: [{text: Có, correct: true}, {text: Không}, {text: Chưa rõ}, {text: Tùy nơi}]")
    return "nhieu-cau.yaml", ("\n".join(lines) + "\n").encode()


def yaml_long_number(digits: int = 100_000) -> tuple[str, bytes]:
    return "so-dai.yaml", ("area: TTHC\nquestions:\n  - text: Hỏi?\n    external_id: " + "7" * digits +
                           "\n    options: [{text: Có, correct: true}, {text: Không}]\n").encode()


def _understated(parts: dict[str, bytes], name: str, filename: str, mb: int) -> tuple[str, bytes]:
    """A zip whose central directory states ``name`` at a few KB while it inflates to ``mb`` MB."""
    head, sep, tail = parts[name].rpartition(b"</")
    data = _zip(parts, (name, head, b" " * 1024, sep + tail, mb * 1024))
    stated = len(parts[name])
    pos = 0
    while True:
        at = data.find(b"PK\x01\x02", pos)
        if at < 0:
            raise AssertionError(name)
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        extra_len = int.from_bytes(data[at + 30:at + 32], "little")
        if data[at + 46:at + 46 + name_len] == name.encode():
            break
        pos = at + 4
    entry = bytearray(data[at:at + 46 + name_len + extra_len])
    extra = entry[46 + name_len:]
    if entry[24:28] == b"\xff\xff\xff\xff":  # zip64: the real size lives in the extra field
        i = 0
        while i < len(extra):
            tag, size = int.from_bytes(extra[i:i + 2], "little"), int.from_bytes(extra[i + 2:i + 4], "little")
            if tag == 1:
                extra[i + 4:i + 12] = stated.to_bytes(8, "little")
                break
            i += 4 + size
        entry[46 + name_len:] = extra
    else:
        entry[24:28] = stated.to_bytes(4, "little")
    return filename, data[:at] + bytes(entry) + data[at + len(entry):]


def xlsx_understated_part(mb: int = 551) -> tuple[str, bytes]:
    return _understated(_xlsx_parts(), "xl/worksheets/sheet1.xml", "khai-thieu.xlsx", mb)


def docx_understated_part(mb: int = 551) -> tuple[str, bytes]:
    return _understated(_docx_parts(), "word/document.xml", "khai-thieu.docx", mb)


def gift_nul() -> tuple[str, bytes]:
    return "nul.gift", "::Q1:: Bộ phận một cửa\x00 đặt ở đâu? {=Ủy ban ~Nhà văn hóa}\n".encode()


def csv_nul() -> tuple[str, bytes]:
    return "nul.csv", (",".join(HEADER) + "\nTTHC,Hỏi\x00?,Có,Không,A\n").encode()


def csv_control_characters() -> tuple[str, bytes]:
    """BEL, VT and FF inside cells (they broke the Excel export and the XML round trip)."""
    return "dieu-khien.csv", (",".join(HEADER) + "\nTTHC,Hỏi\x07?,C\x0bó,Khô\x0cng,A\n").encode()


ALL_REFUSED.update({
    "gift_tilde_flood": (gift_tilde_flood, None),
    "gift_weight_flood": (gift_weight_flood, None),
    "xlsx_shared_strings_flood": (xlsx_shared_strings_flood, "file_too_complex"),
    "docx_style_chain": (docx_style_chain, "file_too_complex"),
    "csv_wide_row": (csv_wide_row, "file_too_complex"),
    "yaml_merge_flood": (yaml_merge_flood, "file_yaml_alias"),
    "yaml_many_questions": (yaml_many_questions, "file_too_many_rows"),
    "yaml_long_number": (yaml_long_number, None),
    "xlsx_understated_part": (xlsx_understated_part, "file_corrupt"),
    "docx_understated_part": (docx_understated_part, "file_corrupt"),
    "gift_nul": (gift_nul, None),
    "csv_nul": (csv_nul, None),
    "csv_control_characters": (csv_control_characters, None),
    "docx_long_spaces": (docx_long_spaces, "file_long_paragraph"),
})
