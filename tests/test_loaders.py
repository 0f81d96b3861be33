"""Tests for assistant.documents.loaders: every format, its paragraphs and offsets, titles, and
every way a file is rejected."""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, SimpleDocTemplate, Spacer
from reportlab.platypus import Paragraph as RLParagraph

from assistant.documents import html_text
from assistant.documents.loaders import SUPPORTED_SUFFIXES, load_bytes, load_document
from assistant.errors import RejectedFile
from assistant.types import Document

SEED_ARTICLE = (  # the shipped copy of the founding article (a clean clone has no ../shared)
    Path(__file__).resolve().parent.parent / "knowledge" / "japan-second-trump-term.md"
)
SUPPORTED_LIST = ".docx, .htm, .html, .markdown, .md, .pdf, .txt"


# --- helpers ----------------------------------------------------------------------------------


def paragraph_texts(doc: Document) -> list[str]:
    return [doc.text[p.start : p.end] for p in doc.paragraphs]


def assert_well_formed(doc: Document) -> None:
    """Offsets cut out exactly the stripped paragraphs, in order, joined by blank lines."""
    texts = paragraph_texts(doc)
    assert doc.text == "\n\n".join(texts)
    previous_end = -1
    numbers: dict[int | None, int] = {}
    for para, text in zip(doc.paragraphs, texts, strict=True):
        assert text and text == text.strip()
        assert para.start > previous_end
        previous_end = para.end
        numbers[para.page] = numbers.get(para.page, 0) + 1
        assert para.number == numbers[para.page]


def rejected(data: bytes, name: str, **kwargs: int) -> str:
    with pytest.raises(RejectedFile) as info:
        load_bytes(data, name, source=f"test/{name}", **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def canvas_pdf(pages: Sequence[Sequence[str]], *, title: str | None = None) -> bytes:
    """A PDF with exactly these lines on each page ("" leaves a line's gap)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    if title is not None:
        pdf.setTitle(title)
    for lines in pages:
        y = 800
        for line in lines:
            if line:
                pdf.drawString(72, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


LONG_1 = (
    "Japan has spent the past decade strengthening its alliance with the United States "
    "while also building new security partnerships across the region and beyond it."
)
LONG_2 = (
    "Tokyo doubled its defence budget target and bought long-range missiles. "
    "The change was described as historic."
)
LONG_3 = (
    "The second page opens with the Quad and with multilateral outreach, written across "
    "enough words that it wraps over several lines of the page."
)


def report_pdf(*, title: str = "") -> bytes:
    """Two pages of flowing, wrapped paragraphs, as a word processor would lay them out."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    story = [
        RLParagraph("Alliance Report", styles["Title"]),
        RLParagraph(LONG_1, styles["Normal"]),
        Spacer(1, 12),
        RLParagraph(LONG_2, styles["Normal"]),
        PageBreak(),
        RLParagraph(LONG_3, styles["Normal"]),
        Spacer(1, 12),
        RLParagraph("Final short paragraph.", styles["Normal"]),
    ]
    SimpleDocTemplate(buffer, pagesize=A4, title=title).build(story)
    return buffer.getvalue()


def docx_bytes(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- .txt -------------------------------------------------------------------------------------


def test_txt_blocks_join_wrapped_lines() -> None:
    data = (
        b"Notes on the alliance\n\n"
        b"First paragraph,\nwrapped over\n  three lines.\n\n\n\n"
        b"Last one.\n"
    )
    doc = load_bytes(data, "notes.txt", source="kb/notes.txt")
    assert paragraph_texts(doc) == [
        "Notes on the alliance",
        "First paragraph, wrapped over three lines.",
        "Last one.",
    ]
    assert [(p.number, p.start, p.end, p.page) for p in doc.paragraphs] == [
        (1, 0, 21, None),
        (2, 23, 65, None),
        (3, 67, 76, None),
    ]
    assert doc.title == "Notes on the alliance"
    assert doc.doc_type == "txt"
    assert doc.source == "kb/notes.txt"
    assert doc.metadata == {}
    assert_well_formed(doc)


def test_txt_without_blank_lines_is_one_paragraph_per_line() -> None:
    doc = load_bytes(b"One.\nTwo.\n   \nThree.", "lines.txt", source="s")
    # a whitespace-only line counts as blank
    assert paragraph_texts(doc) == ["One. Two.", "Three."]
    doc = load_bytes(b"\n\nOne line.\nTwo lines.\nThree lines.\n\n", "lines.txt", source="s")
    assert paragraph_texts(doc) == ["One line.", "Two lines.", "Three lines."]
    assert [p.number for p in doc.paragraphs] == [1, 2, 3]
    assert_well_formed(doc)


def test_txt_title_falls_back_to_humanized_file_name() -> None:
    ends_with_period = load_bytes(b"A short sentence.\n\nMore.", "my_notes-2024.txt", source="s")
    assert ends_with_period.title == "My notes 2024"
    too_long = load_bytes(("x" * 101).encode(), "my__report.txt", source="s")
    assert too_long.title == "My report"
    exactly_100 = load_bytes(("y" * 100).encode(), "a.txt", source="s")
    assert exactly_100.title == "y" * 100


def test_seed_article_has_ten_paragraphs(tmp_path: Path) -> None:
    copy = tmp_path / SEED_ARTICLE.name
    shutil.copyfile(SEED_ARTICLE, copy)
    doc = load_document(copy)
    assert len(doc.paragraphs) == 10
    assert [p.number for p in doc.paragraphs] == list(range(1, 11))
    assert paragraph_texts(doc)[0].startswith("Japan, the closest US ally in Asia")
    assert doc.source == str(copy)
    assert doc.title == "Japan's insulation strategy against a second Trump term"  # front matter
    assert_well_formed(doc)


# --- front matter -----------------------------------------------------------------------------


def test_front_matter_gives_title_and_metadata_and_is_not_text() -> None:
    data = (
        b"---\n"
        b"title: Japan and the Alliance\n"
        b"author: A. Writer\n"
        b"date: 2024-05-01\n"
        b"year: 2024\n"
        b"draft: false\n"
        b"tags: [japan, defence]\n"
        b"empty:\n"
        b"---\n"
        b"Body paragraph one.\n\nBody paragraph two.\n"
    )
    for name in ("a.txt", "a.md"):
        doc = load_bytes(data, name, source="s")
        assert doc.title == "Japan and the Alliance"
        assert doc.metadata == {  # the date in its normal form, as `published`
            "author": "A. Writer",
            "published": "2024-05-01",
            "year": "2024",
            "draft": "False",
        }
        assert paragraph_texts(doc) == ["Body paragraph one.", "Body paragraph two."]
        assert "author" not in doc.text and "---" not in doc.text


def test_front_matter_that_is_not_a_mapping_stays_text() -> None:
    doc = load_bytes(b"---\njust a line\n---\nafter\n", "rule.txt", source="s")
    assert paragraph_texts(doc) == ["---", "just a line", "---", "after"]
    broken = load_bytes(b"---\ntitle: [unclosed\n---\nBody.\n", "broken.md", source="s")
    assert "Body." in broken.text and broken.metadata == {}


# --- .md --------------------------------------------------------------------------------------


def test_markdown_headings_and_soft_wraps() -> None:
    data = (
        "# Japan’s *Hedge*\n"
        "Intro line one\n"
        "continues here.\n"
        "\n"
        "## Background ##\n"
        "- a list item\n"
        "\n"
        "```\n"
        "# not a heading\n"
        "```\n"
    ).encode()
    doc = load_bytes(data, "hedge.md", source="s")
    assert doc.doc_type == "md"
    assert doc.title == "Japan’s *Hedge*"
    assert paragraph_texts(doc) == [
        "# Japan’s *Hedge*",
        "Intro line one continues here.",
        "## Background ##",
        "- a list item",
        "``` # not a heading ```",
    ]
    assert [(p.start, p.end) for p in doc.paragraphs][:2] == [(0, 17), (19, 49)]
    assert_well_formed(doc)


def test_markdown_title_falls_back_to_file_name() -> None:
    doc = load_bytes(b"## Only a subheading\n\ntext", "field-notes.markdown", source="s")
    assert doc.title == "Field notes"
    assert doc.doc_type == "md"


# --- HTML -------------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head>
  <title> Japan &amp; Trump </title>
  <style>body { color: red; } .SECRET_STYLE {}</style>
  <script>var SECRET_SCRIPT = "</p>never";</script>
  <meta charset="utf-8">
</head>
<body>
  <nav aria-hidden="true">SECRET_ARIA</nav>
  <h1>Main   heading</h1>
  <p>First <b>bold</b>
     paragraph,<br>with a break.</p>
  <!-- SECRET_COMMENT -->
  <div>Loose div text <p>Inner paragraph.</p> tail text</div>
  <ul><li>Item one</li><li>Item <em>two</em></li></ul>
  <table><tr><th>Head</th><td>Cell</td></tr></table>
  <div hidden>SECRET_HIDDEN</div>
  <p style="display: none">SECRET_DISPLAY</p>
  <span style="VISIBILITY:hidden">SECRET_VISIBILITY</span>
  <noscript>SECRET_NOSCRIPT</noscript>
  <template><p>SECRET_TEMPLATE</p></template>
  <svg><title>SECRET_SVG_TITLE</title><text>SECRET_SVG</text></svg>
  <iframe>SECRET_IFRAME</iframe>
  <script>document.write("SECRET_BODY_SCRIPT")</script>
  <blockquote>Quoted &ldquo;words&rdquo;.</blockquote>
  <pre>code   block
  here</pre>
  <dl><dt>Term</dt><dd>Definition</dd></dl>
  <figure><img src="x.png"><figcaption>A caption</figcaption></figure>
</body></html>
"""


def test_html_visible_text_one_paragraph_per_block() -> None:
    doc = load_bytes(HTML_PAGE.encode(), "page.html", source="s")
    assert doc.doc_type == "html"
    assert doc.title == "Japan & Trump"
    assert paragraph_texts(doc) == [
        "Main heading",
        "First bold paragraph, with a break.",
        "Loose div text",
        "Inner paragraph.",
        "tail text",
        "Item one",
        "Item two",
        "Head",
        "Cell",
        "Quoted “words”.",
        "code block here",
        "Term",
        "Definition",
        "A caption",
    ]
    assert "SECRET" not in doc.text
    assert "never" not in doc.text
    assert_well_formed(doc)


def test_html_title_falls_back_to_first_h1_then_file_name() -> None:
    doc = load_bytes(
        b"<p>intro</p><h1 hidden>Hidden</h1><h1>The <i>real</i> one</h1>", "x.htm", source="s"
    )
    assert doc.title == "The real one"
    assert doc.doc_type == "html"
    doc = load_bytes(b"<title>  </title><p>only text</p>", "web_page.html", source="s")
    assert doc.title == "Web page"


def test_html_with_only_script_has_no_text() -> None:
    message = rejected(b"<html><script>alert(1)</script><p hidden>x</p></html>", "s.html")
    assert message == "'s.html' has no text"


def test_html_without_closing_head_keeps_body() -> None:
    doc = load_bytes(b"<html><head><title>T</title><body><p>Body text.</p>", "h.html", source="s")
    assert paragraph_texts(doc) == ["Body text."]
    assert doc.title == "T"


def test_html_declared_charset_is_used_when_not_utf8() -> None:
    data = '<meta charset="shift_jis"><p>日本の防衛</p>'.encode("shift_jis")
    doc = load_bytes(data, "jp.html", source="s")
    assert paragraph_texts(doc) == ["日本の防衛"]


def test_loading_prints_nothing_but_the_result(tmp_path: Path) -> None:
    """bs4's warnings (a page that looks like a URL, or XML) and pypdf's log lines for a damaged
    PDF must not reach a CLI user, who sees only our result or one-line error."""
    shifted = tmp_path / "shifted.pdf"
    shifted.write_bytes(report_pdf().replace(b"\n", b"\n% padding comment\n", 1))
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG)\n"
        "from assistant.documents.loaders import load_bytes, load_document\n"
        "url = load_bytes(b'https://example.com/page', 'u.html', source='s')\n"
        "xml = b'<?xml version=\"1.0\"?><feed><entry>x</entry></feed>'\n"
        "feed = load_bytes(xml, 'x.html', source='s')\n"
        "pdf = load_document(__import__('pathlib').Path(sys.argv[1]))\n"
        "print(url.text, feed.text, pdf.title)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(shifted)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.stdout, result.stderr) == ("https://example.com/page x Alliance Report\n", "")


def test_deeply_nested_html_does_not_crash() -> None:
    data = b"<div>" * 5000 + b"deep" + b"</div>" * 5000
    try:
        doc = load_bytes(data, "deep.html", source="s")
    except RejectedFile as exc:
        assert "\n" not in str(exc)
    else:
        assert paragraph_texts(doc) == ["deep"]


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_pages_and_per_page_paragraph_numbers() -> None:
    doc = load_bytes(report_pdf(), "report.pdf", source="s")
    assert doc.doc_type == "pdf"
    assert paragraph_texts(doc) == [
        "Alliance Report",
        LONG_1,
        LONG_2,
        LONG_3,
        "Final short paragraph.",
    ]
    assert [(p.page, p.number) for p in doc.paragraphs] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]
    assert doc.title == "Alliance Report"  # the metadata title is empty: the first line
    assert_well_formed(doc)


def test_pdf_metadata_title_wins_unless_it_is_junk() -> None:
    assert load_bytes(report_pdf(title="Alliance Review 2024"), "r.pdf", source="s").title == (
        "Alliance Review 2024"
    )
    for junk in ("Microsoft Word - draft.doc", "untitled", "report_final.docx"):
        assert load_bytes(report_pdf(title=junk), "r.pdf", source="s").title == "Alliance Report"


def test_pdf_hyphenation_bullets_and_line_grouping() -> None:
    data = canvas_pdf(
        [
            [
                "Defence Notes",
                "The first paragraph is long enough to set the typical line and has defen-",
                "ce spending in it.",
                "A second paragraph about the US-",
                "Japan alliance.",
            ],
            [
                "Page two has a list of the things that were agreed at the summit:",
                "- more joint exercises",
                "- a new command structure",
            ],
        ]
    )
    doc = load_bytes(data, "notes.pdf", source="s")
    assert paragraph_texts(doc) == [
        "Defence Notes",
        "The first paragraph is long enough to set the typical line and has defence "
        "spending in it.",
        "A second paragraph about the US-Japan alliance.",
        "Page two has a list of the things that were agreed at the summit:",
        "- more joint exercises",
        "- a new command structure",
    ]
    assert [(p.page, p.number) for p in doc.paragraphs] == [
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 1),
        (2, 2),
        (2, 3),
    ]
    assert doc.title == "Defence Notes"


def test_pdf_blank_page_is_skipped_and_image_only_pdf_has_no_text() -> None:
    doc = load_bytes(canvas_pdf([[], ["Only page two."]]), "gap.pdf", source="s")
    assert [(p.page, p.number) for p in doc.paragraphs] == [(2, 1)]
    assert rejected(canvas_pdf([[], []]), "scan.pdf") == "'scan.pdf' has no text"


def test_encrypted_pdf_is_rejected() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(report_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert rejected(buffer.getvalue(), "locked.pdf") == "'locked.pdf' is an encrypted PDF"


def test_pdf_with_only_an_owner_password_is_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(report_pdf())))
    writer.encrypt(user_password="", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = load_bytes(buffer.getvalue(), "restricted.pdf", source="s")
    assert paragraph_texts(doc)[0] == "Alliance Report"


def test_truncated_and_fake_pdfs_are_rejected() -> None:
    data = report_pdf()
    message = rejected(data[: len(data) // 2], "half.pdf")
    assert message.startswith("'half.pdf' is not a valid PDF (")
    assert rejected(b"hello, not a pdf", "fake.pdf") == (
        "'fake.pdf' is not a valid PDF (no %PDF- header)"
    )
    assert rejected(b"PK\x03\x04rest", "zip.pdf") == (
        "'zip.pdf' is not a valid PDF (it looks like a zip archive)"
    )
    garbage = b"%PDF-1.4\n" + b"\x00garbage" * 100 + b"\n%%EOF\n"
    assert rejected(garbage, "garbage.pdf").startswith("'garbage.pdf' is not a valid PDF (")


def test_damaged_pdf_warnings_are_silenced(caplog: pytest.LogCaptureFixture) -> None:
    data = report_pdf()
    # shifting every object breaks the xref offsets: pypdf recovers, and would warn
    shifted = data.replace(b"\n", b"\n% padding comment\n", 1)
    caplog.set_level(logging.DEBUG)
    doc = load_bytes(shifted, "shifted.pdf", source="s")
    assert paragraph_texts(doc)[0] == "Alliance Report"
    assert not [r for r in caplog.records if r.name.startswith("pypdf") and r.levelno >= 30]


def test_unexpected_parser_errors_become_rejected_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise KeyError("/Contents")

    monkeypatch.setattr("pypdf.PageObject.extract_text", explode)
    assert rejected(report_pdf(), "boom.pdf") == "'boom.pdf' is not a valid PDF ('/Contents')"

    def recurse(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(html_text, "BeautifulSoup", recurse)
    assert rejected(b"<p>x</p>", "deep.html") == (
        "'deep.html' could not be read as HTML (maximum recursion depth exceeded)"
    )


# --- DOCX -------------------------------------------------------------------------------------


def make_docx(*, core_title: str = "") -> bytes:
    document = docx.Document()
    document.core_properties.title = core_title
    document.add_paragraph("Defence Review", style="Title")
    document.add_paragraph("First body paragraph.")
    document.add_paragraph("   ")
    document.add_heading("Budget", level=1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Year"
    table.cell(0, 1).text = "Budget"
    table.cell(1, 0).text = "2027"
    table.cell(1, 1).text = ""
    document.add_paragraph("After the\ttable,\nwith a line break.")
    return docx_bytes(document)


def test_docx_paragraphs_and_table_cells_in_body_order() -> None:
    doc = load_bytes(make_docx(), "review.docx", source="s")
    assert doc.doc_type == "docx"
    assert paragraph_texts(doc) == [
        "Defence Review",
        "First body paragraph.",
        "Budget",
        "Year",
        "Budget",
        "2027",
        "After the table, with a line break.",
    ]
    assert all(p.page is None for p in doc.paragraphs)
    assert doc.title == "Defence Review"  # core title empty: the "Title" paragraph
    assert_well_formed(doc)


def test_docx_titles() -> None:
    assert load_bytes(make_docx(core_title="Core Title"), "a.docx", source="s").title == (
        "Core Title"
    )
    document = docx.Document()
    document.add_paragraph("plain first")
    document.add_heading("Heading One", level=1)
    assert load_bytes(docx_bytes(document), "a.docx", source="s").title == "Heading One"
    document = docx.Document()
    document.add_paragraph("no headings at all")
    assert load_bytes(docx_bytes(document), "budget_2024.docx", source="s").title == "Budget 2024"


def test_docx_merged_cells_appear_once() -> None:
    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "Merged"
    table.cell(0, 2).text = "Right"
    doc = load_bytes(docx_bytes(document), "m.docx", source="s")
    assert paragraph_texts(doc) == ["Merged", "Right"]


def test_bad_docx_files_are_rejected() -> None:
    assert rejected(b"just some text", "notzip.docx") == (
        "'notzip.docx' is not a valid .docx (not a zip archive)"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    assert rejected(buffer.getvalue(), "odt.docx") == (
        "'odt.docx' is not a valid .docx (no word/document.xml inside)"
    )
    data = make_docx()
    assert rejected(data[: len(data) // 2], "half.docx") == (
        "'half.docx' is not a valid .docx (corrupt or truncated zip)"
    )
    assert (
        rejected(report_pdf(), "pdf.docx")
        == "'pdf.docx' is not a valid .docx (it looks like a PDF)"
    )
    assert rejected(docx_bytes(docx.Document()), "empty.docx") == "'empty.docx' has no text"


def test_docx_with_broken_document_xml_is_rejected() -> None:
    source = zipfile.ZipFile(io.BytesIO(make_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                content = content[: len(content) // 2]
            archive.writestr(item, content)
    message = rejected(buffer.getvalue(), "broken.docx")
    assert message.startswith("'broken.docx' is not a valid .docx (")


# --- decoding and binary content --------------------------------------------------------------


def test_cp1252_utf16_and_utf8_bom_are_decoded() -> None:
    assert load_bytes(b"caf\xe9 \x93quoted\x94", "c.txt", source="s").text == "café “quoted”"
    assert load_bytes(b"\xef\xbb\xbfBOM text", "b.txt", source="s").text == "BOM text"
    for encoding in ("utf-16-le", "utf-16-be"):
        bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
        data = bom + "Ünïcödé\r\n\r\nzwei".encode(encoding)
        assert paragraph_texts(load_bytes(data, "u.md", source="s")) == ["Ünïcödé", "zwei"]
    # undecodable as cp1252 (0x81): latin-1, whose C1 characters are dropped as control chars
    latin = load_bytes(b"a na\xefve reader of \x81 long enough text", "l.txt", source="s")
    assert latin.text == "a naïve reader of  long enough text"


def test_line_endings_and_nfc_are_normalised() -> None:
    doc = load_bytes("cafe\u0301\r\rnext\rline".encode(), "n.txt", source="s")
    assert paragraph_texts(doc) == ["caf\u00e9", "next line"]


def test_binary_content_with_a_text_name_is_rejected() -> None:
    assert rejected(b"abc\x00def", "nul.txt") == "'nul.txt' looks binary, not text"
    assert (
        rejected(bytes(range(1, 32)) * 3 + b"text", "ctl.md") == "'ctl.md' looks binary, not text"
    )
    assert rejected(make_docx(), "doc.md") == "'doc.md' looks binary, not text"
    assert rejected(b"%PDF-1.4 all ascii", "p.html") == "'p.html' looks binary, not text"
    # a few control characters are tolerated, and dropped
    assert (
        load_bytes(b"bell\x07 ok " + b"x" * 40, "few.txt", source="s").text == "bell ok " + "x" * 40
    )


# --- general rejections -----------------------------------------------------------------------


def test_empty_and_whitespace_only_files_have_no_text(tmp_path: Path) -> None:
    assert rejected(b"", "empty.txt") == "'empty.txt' has no text"
    assert rejected(b" \n\t\r\n  ", "blank.md") == "'blank.md' has no text"
    assert rejected(b"", "empty.pdf") == "'empty.pdf' has no text"
    assert rejected("\ufeff \u3000\n".encode(), "wide.txt") == "'wide.txt' has no text"
    path = tmp_path / "empty.html"
    path.write_bytes(b"")
    with pytest.raises(RejectedFile, match=r"^'empty\.html' has no text$"):
        load_document(path)


def test_oversize_file_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as handle:
        handle.truncate(int(25.3 * 1024 * 1024))  # sparse: nothing is written
    with pytest.raises(RejectedFile) as info:
        load_document(path)
    assert str(info.value) == "'big.txt' is 25.3 MB, over the 20 MB limit"
    assert rejected(b"x" * 2049, "small.md", max_bytes=2048) == (
        "'small.md' is 2.1 KB, over the 2 KB limit"
    )
    assert (
        rejected(b"x" * 11, "tiny.txt", max_bytes=10)
        == "'tiny.txt' is 11 bytes, over the 10 bytes limit"
    )


def test_unsupported_suffix() -> None:
    assert rejected(b"a,b", "data.xyz") == (
        f"unsupported file type '.xyz' (supported: {SUPPORTED_LIST})"
    )
    assert (
        rejected(b"text", "README")
        == f"'README' has no file extension (supported: {SUPPORTED_LIST})"
    )
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"} == SUPPORTED_SUFFIXES


def test_suffix_is_case_insensitive() -> None:
    assert load_bytes(b"Upper case name", "NOTES.TXT", source="s").doc_type == "txt"


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(RejectedFile) as info:
        load_document(tmp_path / "nope.txt")
    assert str(info.value) == "cannot read 'nope.txt': No such file or directory"
    folder = tmp_path / "folder.md"
    folder.mkdir()
    with pytest.raises(RejectedFile, match=r"^cannot read 'folder\.md': not a regular file$"):
        load_document(folder)
    with pytest.raises(RejectedFile, match=r"^unsupported file type '\.exe'"):
        load_document(tmp_path / "missing.exe")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("secret")
    path.chmod(0)
    with pytest.raises(RejectedFile, match=r"^cannot read 'secret\.txt': Permission denied$"):
        load_document(path)


def test_unreadable_file_reason_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("text")

    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(RejectedFile) as info:
        load_document(path)
    assert str(info.value) == "cannot read 'locked.txt': Permission denied"


def test_display_name_decides_type_and_title(tmp_path: Path) -> None:
    upload = tmp_path / "tmpa8f3k2"
    upload.write_bytes(b"# Uploaded\n\nBody.")
    doc = load_document(upload, name="Field Report.md", source="upload/Field Report.md")
    assert doc.doc_type == "md"
    assert doc.title == "Uploaded"
    assert doc.source == "upload/Field Report.md"
    with pytest.raises(RejectedFile, match=r"^'x\?y\.txt' has no text$"):
        load_bytes(b"", "x\x01y.txt", source="s")
    with pytest.raises(RejectedFile, match=r"^'two lines\.txt' has no text$"):
        load_bytes(b"", "two\nlines.txt", source="s")


# --- properties -------------------------------------------------------------------------------

TEXT_TOKENS = [
    *"ab #-*.!?:\r\t ",
    "\n",
    "\n\n",
    "---\n",
    "# ",
    "```",
    "é",
    "\u0301",
    "\x00",
    "\x07",
]
TEXTISH = st.lists(st.sampled_from(TEXT_TOKENS) | st.characters(), max_size=200).map("".join)
HTML_TOKENS = [
    *"<>/=\"' abp\n",
    "<p>",
    "</p>",
    "<div hidden>",
    "</div>",
    "<script>",
    "&amp;",
    "<br>",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=TEXTISH,
    suffix=st.sampled_from([".txt", ".md"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_property_text_formats_are_well_formed_or_rejected(
    text: str, suffix: str, encoding: str
) -> None:
    errors = "surrogatepass" if encoding == "utf-8" else "replace"
    try:
        doc = load_bytes(text.encode(encoding, errors), "p" + suffix, source="s")
    except RejectedFile as exc:
        assert "\n" not in str(exc)
        return
    assert doc.paragraphs
    assert [p.number for p in doc.paragraphs] == list(range(1, len(doc.paragraphs) + 1))
    assert doc.title
    assert_well_formed(doc)


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=300),
    suffix=st.sampled_from([".txt", ".md", ".html", ".pdf", ".docx"]),
)
def test_property_arbitrary_bytes_never_escape_as_other_errors(data: bytes, suffix: str) -> None:
    try:
        doc = load_bytes(data, "b" + suffix, source="s")
    except RejectedFile as exc:
        assert "\n" not in str(exc)
        return
    assert doc.title
    assert_well_formed(doc)


@settings(max_examples=100, deadline=None)
@given(text=st.lists(st.sampled_from(HTML_TOKENS) | st.characters(), max_size=100).map("".join))
def test_property_html_is_well_formed_or_rejected(text: str) -> None:
    try:
        doc = load_bytes(text.encode("utf-8", "surrogatepass"), "h.html", source="s")
    except RejectedFile:
        return
    assert_well_formed(doc)
