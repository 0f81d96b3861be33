"""Metadata from files, where the source states it and nothing invented; and the registry that
keeps it, including one made before documents had metadata."""

from __future__ import annotations

import datetime
import io
import sqlite3
from pathlib import Path

import docx
from pypdf import PdfReader, PdfWriter

from assistant.documents.loaders import load_bytes
from assistant.documents.metadata import from_mapping, iso_date, stated
from assistant.index.registry import Registry
from assistant.runtime import Runtime
from assistant.types import DocumentRecord
from tests.web_site import STATEMENT, pdf_report

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "knowledge" / "japan-second-trump-term.md"


def test_normal_forms_and_unknowns() -> None:
    assert iso_date("2024-05-12T08:00:00+09:00") == "2024-05-12"
    assert iso_date(datetime.date(2024, 5, 12)) == "2024-05-12"
    assert iso_date("12 May 2024") is None  # not written as a date we read: left out
    assert iso_date("2024-02-30") is None
    assert stated("not stated in the source") is None and stated("Unknown") is None
    assert stated("  Jane   Doe ") == "Jane Doe"
    assert from_mapping({"date": "2024-05-01", "publisher": "Lowy", "url": "ftp://x/y"}) == {
        "published": "2024-05-01",
        "site": "Lowy",
    }


def test_the_shipped_article_keeps_not_stated() -> None:
    doc = load_bytes(ARTICLE.read_bytes(), ARTICLE.name, source="knowledge/" + ARTICLE.name)
    assert not {"author", "published", "site", "url"} & set(doc.metadata)
    assert doc.metadata["date"].startswith("not stated in the source")  # as written, not a date


def test_markdown_front_matter_title_author_date_url() -> None:
    data = (
        b"---\ntitle: Alliance notes\nauthor: A. Writer\ndate: 2024-05-01\n"
        b"url: https://example.org/notes\nsite: Example Review\n---\n\nBody.\n"
    )
    doc = load_bytes(data, "notes.md", source="s")
    assert doc.title == "Alliance notes"
    assert doc.metadata == {
        "url": "https://example.org/notes",
        "published": "2024-05-01",
        "author": "A. Writer",
        "site": "Example Review",
    }


def test_html_file_meta_tags_and_json_ld() -> None:
    page = (
        b'<html><head><title>Notes</title><meta name="author" content="Jane Doe">'
        b'<meta property="og:site_name" content="The Daily">'
        b'<meta property="article:published_time" content="2024-05-12">'
        b'<link rel="canonical" href="https://daily.example/notes"></head>'
        b"<body><p>The fleet has twelve ships, the minister said.</p></body></html>"
    )
    doc = load_bytes(page, "notes.html", source="s")
    assert doc.metadata == {
        "url": "https://daily.example/notes",
        "published": "2024-05-12",
        "author": "Jane Doe",
        "site": "The Daily",
    }
    ld = load_bytes(STATEMENT.encode(), "statement.html", source="s")
    assert ld.metadata == {
        "published": "2023-11-02",
        "author": "Taro Yamada",
        "site": "Ministry Press",
    }


def test_html_file_without_metadata_states_nothing() -> None:
    page = b"<html><body><p>On 3 March 2021 the two governments met in Tokyo.</p></body></html>"
    assert load_bytes(page, "plain.html", source="s").metadata == {}


def test_docx_core_properties() -> None:
    document = docx.Document()
    document.add_paragraph("The fleet has twelve ships.")
    document.core_properties.author = "Policy Unit"
    document.core_properties.created = datetime.datetime(2024, 3, 9, 10, 0)
    buffer = io.BytesIO()
    document.save(buffer)
    doc = load_bytes(buffer.getvalue(), "fleet.docx", source="s")
    assert doc.metadata == {"published": "2024-03-09", "author": "Policy Unit"}


def test_docx_made_from_python_docx_template_states_nothing() -> None:
    document = docx.Document()
    document.add_paragraph("The fleet has twelve ships.")
    buffer = io.BytesIO()
    document.save(buffer)
    assert load_bytes(buffer.getvalue(), "fleet.docx", source="s").metadata == {}


def test_pdf_metadata() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_report())))
    writer.add_metadata({"/Author": "Policy Unit", "/CreationDate": "D:20240215093000+09'00'"})
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = load_bytes(buffer.getvalue(), "report.pdf", source="s")
    assert doc.title == "Alliance Report"
    assert doc.metadata == {"published": "2024-02-15", "author": "Policy Unit"}


def _old_registry(path: Path) -> None:
    """A registry as written before documents had metadata (no `metadata` column)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE documents (
            document_id TEXT PRIMARY KEY, title TEXT NOT NULL, path TEXT NOT NULL,
            doc_type TEXT NOT NULL, sha256 TEXT NOT NULL, chunks INTEGER NOT NULL,
            added TEXT NOT NULL, updated TEXT NOT NULL
        );
        CREATE INDEX documents_sha ON documents(sha256);
        CREATE TABLE pending (
            document_id TEXT PRIMARY KEY, record TEXT, old_ids TEXT NOT NULL, new_ids TEXT NOT NULL
        );
        INSERT INTO documents VALUES ('old-1', 'Old', 'old.md', 'md', 'abc', 2, '2024-01-01',
            '2024-01-01');
        INSERT INTO pending VALUES ('old-2', '{"document_id": "old-2", "title": "T", "path": "p",
            "doc_type": "md", "sha256": "s", "chunks": 1, "added": "a", "updated": "u"}', '[]',
            '[]');
        """
    )
    conn.commit()
    conn.close()


def test_an_old_registry_opens_and_gains_the_metadata_column(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    _old_registry(path)
    registry = Registry(path)
    [old] = registry.all()
    assert (old.document_id, old.title, old.chunks, old.metadata) == ("old-1", "Old", 2, {})
    assert old.to_json() == {
        "document_id": "old-1", "title": "Old", "path": "old.md", "type": "md", "chunks": 2,
        "added": "2024-01-01",
    }  # fmt: skip
    [note] = registry.pending()  # a note written by the old version still reads
    assert note.record is not None and note.record.metadata == {}
    new = DocumentRecord(
        "new-1", "New", "https://x.example/a", "html", "def", 1, "2024-02-02", "2024-02-02",
        {"url": "https://x.example/a", "published": "2024-02-01"},
    )  # fmt: skip
    registry.upsert(new)
    registry.close()
    reopened = Registry(path)
    assert reopened.get("new-1") == new
    assert reopened.get("old-1") == old
    assert reopened.find_by_sha("def") == new
    reopened.close()


def test_a_title_or_date_change_relabels_without_embedding(
    fake_runtime: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "note.md"
    path.write_text("---\ntitle: A note\ndate: 2024-06-01\n---\n\nThe note says one thing.\n")
    kb = fake_runtime.knowledge
    assert kb.ingest([path]).count("added") == 1
    assert kb.ingest([path]).count("unchanged") == 1
    path.write_text("---\ntitle: A note\ndate: 2024-06-02\n---\n\nThe note says one thing.\n")
    report = kb.ingest([path])
    assert (report.count("updated"), report.embedded) == (1, 0)
    [record] = kb.documents()
    assert record.metadata == {"published": "2024-06-02"}
    [chunk] = kb.document_chunks(record.document_id)
    assert chunk.document_metadata == {"published": "2024-06-02"}
