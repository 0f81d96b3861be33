"""Parse limits (issue 10): zip bombs, page counts, text size, memory and wall-clock time, each a
one-line rejection naming its setting; parsing in a child process that is killed at the time
limit and leaves no process behind; through the knowledge base, nothing of a rejected file kept.

The parsers that these tests inject replace `loaders.EXTRACTORS` entries with monkeypatch: the
child is forked for each file, so it sees them. Each injected parser refuses to run in the test
process itself (where the loaders parsed before the limits), so that on such code the tests
fail at once instead of hanging or killing pytest.
"""

from __future__ import annotations

import io
import math
import operator
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import docx
import psutil
import pypdf
import pytest
from reportlab.pdfgen import canvas

from assistant.config import Settings
from assistant.documents import loaders
from assistant.documents.limits import ParseLimits
from assistant.documents.loaders import load_bytes, load_document
from assistant.errors import RejectedFile
from assistant.runtime import Runtime

TEST_PID = os.getpid()
MB = 1024 * 1024
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# --- helpers ----------------------------------------------------------------------------------


def rejection(data: bytes, name: str, **kwargs: object) -> str:
    with pytest.raises(RejectedFile) as info:
        load_bytes(data, name, source=f"test/{name}", **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def docx_with_body(write_body: Callable[[IO[bytes]], None]) -> bytes:
    """A real .docx (python-docx's template) whose word/document.xml is what write_body writes,
    streamed into the zip (deflated), so a large body never sits in memory."""
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(io.BytesIO(template.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename == "word/document.xml":
                with archive.open("word/document.xml", "w") as member:
                    member.write(
                        f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>'.encode()
                    )
                    write_body(member)
                    member.write(b"</w:body></w:document>")
            else:
                archive.writestr(info, source.read(info.filename))
    return out.getvalue()


def repeated_paragraphs(total_bytes: int) -> bytes:
    """A .docx whose document.xml is `total_bytes` of one paragraph repeated (a zip bomb)."""
    unit = b"<w:p><w:r><w:t>bomb</w:t></w:r></w:p>" * 1000

    def body(member: IO[bytes]) -> None:
        written = 0
        while written < total_bytes:
            member.write(unit)
            written += len(unit)

    return docx_with_body(body)


def pdf_pages(count: int, text: str = "Page {n} says something about the alliance.") -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for n in range(1, count + 1):
        pdf.drawString(72, 800, text.format(n=n))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


_EARLIER_CHILDREN: set[int] = set()


@pytest.fixture(autouse=True)
def _earlier_children() -> None:
    """Children the test process already had (servers other tests' fixtures started)."""
    _EARLIER_CHILDREN.clear()
    _EARLIER_CHILDREN.update(child.pid for child in psutil.Process().children())


def parse_children() -> list[psutil.Process]:
    """This process's children started during the test, but multiprocessing's resource tracker
    (which 'spawn' starts once and keeps for the session)."""
    return [
        child
        for child in psutil.Process().children()
        if child.pid not in _EARLIER_CHILDREN
        and "resource_tracker" not in " ".join(child.cmdline())
    ]


def running(pid: int) -> bool:
    """Whether the process exists and has not ended (a zombie has: only its entry is left)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def in_the_test_process() -> bool:
    return os.getpid() == TEST_PID


def forbid(what: str) -> Callable[..., object]:
    """A stand-in for a parser step the limits must stop before."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise RuntimeError(f"{what} was called")

    return refuse


@pytest.fixture(scope="module")
def bomb_60mb() -> bytes:
    """214 KB on disk, 60 MB of XML once unzipped: over the default 50 MB limit."""
    return repeated_paragraphs(60 * MB)


# --- settings ---------------------------------------------------------------------------------


def test_limits_are_settings_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.documents.limits import ParseLimits

    defaults = ParseLimits.from_settings(Settings())
    assert defaults == ParseLimits() == ParseLimits(50.0, 100.0, 5_000_000, 2000, 60.0, 2048.0)
    for name, value in {
        "MAX_UNZIPPED_MB": "7",
        "MAX_ZIP_RATIO": "30",
        "MAX_EXTRACTED_CHARS": "1234",
        "MAX_PDF_PAGES": "9",
        "PARSE_TIMEOUT_S": "2.5",
        "MAX_PARSE_MEMORY_MB": "300",
    }.items():
        monkeypatch.setenv(f"ASSISTANT_{name}", value)
    expected = ParseLimits(7.0, 30.0, 1234, 9, 2.5, 300.0)
    assert ParseLimits.from_settings(Settings()) == expected
    assert ParseLimits.current() == expected  # what the loaders use when given no limits


# --- .docx: unzipped size and compression ratio, from the zip's directory ---------------------


def test_docx_zip_bomb_is_rejected_from_its_directory_before_extracting(
    bomb_60mb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(bomb_60mb) < 300 * 1024
    monkeypatch.setattr(docx, "Document", forbid("python-docx"))
    monkeypatch.setattr(zipfile.ZipFile, "read", forbid("ZipFile.read"))
    monkeypatch.setattr(zipfile.ZipFile, "open", forbid("ZipFile.open"))
    message = rejection(bomb_60mb, "report.docx")  # the forbidden reads prove nothing was unzipped
    assert re.fullmatch(
        r"'report\.docx' unzips to 60(\.\d)? MB, over the 50 MB limit \(ASSISTANT_MAX_UNZIPPED_MB\)",
        message,
    ), message


def test_docx_unzipped_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    data = repeated_paragraphs(3 * MB // 2)
    total = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    shown = math.ceil(total / MB * 10) / 10  # rounded up: never shown as equal to the limit
    monkeypatch.setenv("ASSISTANT_MAX_UNZIPPED_MB", "1")
    monkeypatch.setattr(docx, "Document", forbid("python-docx"))
    assert rejection(data, "a.docx") == (
        f"'a.docx' unzips to {shown:g} MB, over the 1 MB limit (ASSISTANT_MAX_UNZIPPED_MB)"
    )


def test_docx_compressed_too_much_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    data = repeated_paragraphs(4 * MB)  # under 50 MB unzipped, but compressed hundreds to one
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    ratio = info.file_size // info.compress_size
    assert ratio > 100
    monkeypatch.setattr(docx, "Document", forbid("python-docx"))
    assert rejection(data, "dense.docx") == (
        f"'dense.docx' is compressed {ratio:,} to 1 (word/document.xml), "
        "over the 100 to 1 limit (ASSISTANT_MAX_ZIP_RATIO)"
    )


def test_ordinary_docx_is_within_the_limits() -> None:
    document = docx.Document()
    for n in range(300):
        document.add_paragraph(f"Paragraph {n} about the alliance, the budget and the islands.")
    buffer = io.BytesIO()
    document.save(buffer)
    doc = load_bytes(buffer.getvalue(), "ordinary.docx", source="s")
    assert len(doc.paragraphs) == 300


# --- PDF: pages counted before any is read ----------------------------------------------------


def test_pdf_over_the_page_limit_is_rejected_before_reading_a_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = pdf_pages(5)
    monkeypatch.setenv("ASSISTANT_MAX_PDF_PAGES", "3")
    monkeypatch.setattr("pypdf.PageObject.extract_text", forbid("extract_text"))
    assert rejection(data, "long.pdf") == (
        "'long.pdf' has 5 pages, over the 3 page limit (ASSISTANT_MAX_PDF_PAGES)"
    )
    monkeypatch.undo()  # the default limit, and the real extract_text
    assert len(load_bytes(data, "long.pdf", source="s").paragraphs) == 5


def test_limits_argument_overrides_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.documents.limits import ParseLimits

    monkeypatch.setenv("ASSISTANT_MAX_PDF_PAGES", "1")
    data = pdf_pages(2)
    assert len(load_bytes(data, "two.pdf", source="s", limits=ParseLimits()).paragraphs) == 2
    assert rejection(data, "two.pdf", limits=ParseLimits(max_pdf_pages=1)).startswith(
        "'two.pdf' has 2 pages, over the 1 page limit"
    )


# --- extracted characters ---------------------------------------------------------------------


def test_text_over_the_character_limit_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    text = b"First paragraph.\n\nSecond one."  # 16 + 2 + 11 = 29 characters once loaded
    monkeypatch.setenv("ASSISTANT_MAX_EXTRACTED_CHARS", "29")
    assert len(load_bytes(text, "fits.txt", source="s").text) == 29
    monkeypatch.setenv("ASSISTANT_MAX_EXTRACTED_CHARS", "28")
    expected = "'{}' has more text than the 28 character limit (ASSISTANT_MAX_EXTRACTED_CHARS)"
    assert rejection(text, "over.txt") == expected.format("over.txt")
    assert rejection(text, "over.md") == expected.format("over.md")
    html = b"<p>First paragraph.</p><p>Second one.</p>"
    assert rejection(html, "over.html") == expected.format("over.html")


def test_pdf_extraction_stops_at_the_page_over_the_character_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "pages.log"
    extract_text = pypdf.PageObject.extract_text

    def counted(self: pypdf.PageObject, *args: Any, **kwargs: Any) -> str:
        """Records each page whose text is extracted (from the child, in a file)."""
        with log.open("a") as handle:
            handle.write("page\n")
        return extract_text(self, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", counted)
    line = "Line {n} " + "x" * 60  # about 70 characters a page
    data = pdf_pages(50, line)
    monkeypatch.setenv("ASSISTANT_MAX_EXTRACTED_CHARS", "500")
    message = rejection(data, "wordy.pdf")
    assert message == (
        "'wordy.pdf' has more text than the 500 character limit (ASSISTANT_MAX_EXTRACTED_CHARS)"
    )
    assert 7 <= len(log.read_text().split()) <= 8  # 500 characters reached on page 7 or 8


def test_docx_extraction_is_bounded_by_the_character_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    document = docx.Document()
    for n in range(100):
        document.add_paragraph(f"Paragraph {n} " + "y" * 100)
    buffer = io.BytesIO()
    document.save(buffer)
    monkeypatch.setenv("ASSISTANT_MAX_EXTRACTED_CHARS", "1000")
    assert rejection(buffer.getvalue(), "long.docx") == (
        "'long.docx' has more text than the 1,000 character limit (ASSISTANT_MAX_EXTRACTED_CHARS)"
    )


# --- wall clock: a parse that hangs is killed -------------------------------------------------


def hanging_parser(pid_file: Path) -> Callable[..., object]:
    """An extractor that never finishes: it notes its process id and sleeps, holding 200 MB."""

    def hang(*args: object) -> object:
        if in_the_test_process():
            raise RuntimeError("parsed in the test process, where nothing can stop it")
        pid_file.write_text(str(os.getpid()))
        ballast = b"x" * (200 * MB)  # memory that must be given back when it is killed
        time.sleep(600)
        return ballast

    return hang


def test_a_hanging_parse_is_stopped_at_the_timeout_and_its_process_is_gone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    monkeypatch.setitem(loaders.EXTRACTORS, "pdf", hanging_parser(pid_file))
    monkeypatch.setenv("ASSISTANT_PARSE_TIMEOUT_S", "1")
    started = time.monotonic()
    message = rejection(pdf_pages(1), "stuck.pdf")
    elapsed = time.monotonic() - started
    assert message == (
        "'stuck.pdf' took longer to read than the 1 s limit (ASSISTANT_PARSE_TIMEOUT_S)"
    )
    assert elapsed >= 1.0  # stopped by the limit, not by the parser (which never returns)
    pid = int(pid_file.read_text())
    assert not psutil.pid_exists(pid)  # killed and reaped: no zombie, no memory held
    assert parse_children() == []


def test_a_parser_that_dies_is_a_one_line_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    def die(*args: object) -> object:
        if in_the_test_process():
            raise RuntimeError("parsed in the test process")
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
        raise AssertionError("unreachable")

    monkeypatch.setitem(loaders.EXTRACTORS, "html", die)
    assert rejection(b"<p>x</p>", "dies.html") == (
        "'dies.html' could not be read: the parser stopped (killed by SIGKILL)"
    )
    assert parse_children() == []


def test_a_parse_over_the_memory_limit_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    def greedy(*args: object) -> object:
        if in_the_test_process():
            raise RuntimeError("parsed in the test process, where nothing caps its memory")
        return b"x" * (400 * MB)

    monkeypatch.setitem(loaders.EXTRACTORS, "docx", greedy)
    monkeypatch.setenv("ASSISTANT_MAX_PARSE_MEMORY_MB", "100")
    assert rejection(b"PK\x03\x04 anything", "greedy.docx") == (
        "'greedy.docx' needs more memory to read than the 100 MB limit "
        "(ASSISTANT_MAX_PARSE_MEMORY_MB)"
    )
    assert parse_children() == []


def test_load_document_parses_in_a_child_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "stuck.md"
    path.write_text("# Stuck\n\ntext\n")
    monkeypatch.setitem(loaders.EXTRACTORS, "md", hanging_parser(tmp_path / "pid"))
    monkeypatch.setenv("ASSISTANT_PARSE_TIMEOUT_S", "0.5")
    with pytest.raises(RejectedFile) as info:
        load_document(path)
    assert str(info.value) == (
        "'stuck.md' took longer to read than the 0.5 s limit (ASSISTANT_PARSE_TIMEOUT_S)"
    )
    assert not psutil.pid_exists(int((tmp_path / "pid").read_text()))


def test_other_files_are_not_held_up_by_a_hanging_parse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The issue's queue: while one upload hangs, others (in other threads) still load."""
    monkeypatch.setitem(loaders.EXTRACTORS, "html", hanging_parser(tmp_path / "pid"))
    monkeypatch.setenv("ASSISTANT_PARSE_TIMEOUT_S", "4")
    with ThreadPoolExecutor(max_workers=2) as pool:
        stuck = pool.submit(rejection, b"<p>x</p>", "stuck.html")
        deadline = time.monotonic() + 10
        while not (tmp_path / "pid").exists():  # wait until the hanging parse has started
            assert not stuck.done(), stuck.result()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        titles = [
            load_bytes(f"Note {n}\n\nText {n}.".encode(), f"n{n}.txt", source="s").title
            for n in range(5)
        ]
        assert titles == [f"Note {n}" for n in range(5)]
        assert not stuck.done()  # the others were read while this one still hung
        assert stuck.result(timeout=10).endswith("the 4 s limit (ASSISTANT_PARSE_TIMEOUT_S)")
    assert parse_children() == []


ORPHAN_SCRIPT = """
import os, sys, time
from pathlib import Path
from assistant.documents import loaders

def hang(*args):
    Path(sys.argv[1]).write_text(str(os.getpid()))
    time.sleep(600)

loaders.EXTRACTORS["pdf"] = hang
os.environ["ASSISTANT_PARSE_TIMEOUT_S"] = "1"
loaders.load_bytes(b"%PDF-1.4 never parsed %%EOF", "stuck.pdf", source="s")
"""


def test_a_parse_whose_caller_was_killed_still_ends_at_the_limit(tmp_path: Path) -> None:
    """A server killed mid-parse (the issue's remedy) must not leave the parse running."""
    pid_file = tmp_path / "pid"
    caller = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT, str(pid_file)])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists():
            assert caller.poll() is None, "the caller ended before parsing"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        parser = int(pid_file.read_text())
        assert parser != caller.pid  # parsed in a child
        caller.kill()  # SIGKILL: it cannot kill its child
        caller.wait()
        started = time.monotonic()
        while running(parser):
            assert time.monotonic() - started < 60, "the orphaned parse is still running"
            time.sleep(0.05)
    finally:
        caller.kill()
        caller.wait()


def test_no_child_is_left_after_ordinary_loads() -> None:
    for name, data in {"a.txt": b"Plain text.", "b.pdf": pdf_pages(2)}.items():
        assert load_bytes(data, name, source="s").paragraphs
    assert parse_children() == []


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_worker_returns_raises_and_kills(start_method: str) -> None:
    from assistant.documents.worker import ChildTimedOut, run_in_child

    assert run_in_child(operator.add, 2, 3, timeout=60, start_method=start_method) == 5
    with pytest.raises(ValueError, match="math domain error"):
        run_in_child(math.sqrt, -1, timeout=60, start_method=start_method)
    started = time.monotonic()
    with pytest.raises(ChildTimedOut):
        run_in_child(time.sleep, 600, timeout=1, start_method=start_method)
    assert time.monotonic() - started < 120  # killed at its 1 s limit, not after its 600 s sleep
    assert parse_children() == []


# --- through the knowledge base: the rest of the batch is added, nothing of the rejected kept --


def test_over_limit_uploads_are_rejected_and_the_rest_of_the_batch_is_added(
    fake_runtime: Runtime, bomb_60mb: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(loaders.EXTRACTORS, "html", hanging_parser(tmp_path / "pid"))
    kb = fake_runtime.knowledge
    assert kb.parse_limits == ParseLimits.from_settings(fake_runtime.settings)
    kb.parse_limits = ParseLimits(max_pdf_pages=3, parse_timeout_s=1)
    report = kb.ingest_bytes(
        [
            ("alpha.md", b"# Alpha\n\nTokyo bought radar systems in 2021.\n"),
            ("report.docx", bomb_60mb),
            ("long.pdf", pdf_pages(5)),
            ("stuck.html", b"<p>never read</p>"),
            ("beta.txt", b"Beta notes\n\nOsaka hosted a trade fair about robots.\n"),
        ]
    )
    outcome = {r.name: (r.status, r.reason) for r in report.results}
    assert outcome["alpha.md"] == ("added", "")
    assert outcome["beta.txt"] == ("added", "")
    assert outcome["long.pdf"] == (
        "rejected",
        "'long.pdf' has 5 pages, over the 3 page limit (ASSISTANT_MAX_PDF_PAGES)",
    )
    assert outcome["stuck.html"] == (
        "rejected",
        "'stuck.html' took longer to read than the 1 s limit (ASSISTANT_PARSE_TIMEOUT_S)",
    )
    status, reason = outcome["report.docx"]
    assert status == "rejected"
    assert re.fullmatch(
        r"'report\.docx' unzips to 60(\.\d)? MB, over the 50 MB limit \(ASSISTANT_MAX_UNZIPPED_MB\)",
        reason,
    ), reason
    assert report.count("added") == 2 and report.count("rejected") == 3
    stored = {record.path for record in kb.documents()}
    assert stored == {"upload/alpha.md", "upload/beta.txt"}
    sources = {chunk.source for chunk in kb.store.chunks()}
    assert sources == {"upload/alpha.md", "upload/beta.txt"}
    assert sorted(kb.bm25().chunk_ids) == sorted(kb.store.ids())
    texts = " ".join(chunk.text for chunk in kb.store.chunks())
    assert "bomb" not in texts and "never read" not in texts and "Page 1" not in texts
    assert parse_children() == []


def _parse_a_date() -> int:
    import datetime

    return datetime.datetime.strptime("2024-05-12", "%Y-%m-%d").year


def test_a_child_forked_while_another_thread_parses_a_date_does_not_hang() -> None:
    # python-docx reads a file's dates with strptime; a server thread inside strptime at the
    # fork used to leave the child waiting on the lock it inherited until the time limit.
    import _strptime

    from assistant.documents.worker import run_in_child

    with _strptime._cache_lock:  # what a thread inside strptime holds
        assert run_in_child(_parse_a_date, timeout=10) == 2024


_HELD = threading.Lock()  # held by the test while it forks: a lock a child inherits held


def _take_the_held_lock() -> int:
    with _HELD:  # a forked child waits here for ever; a spawned one has a lock of its own
        return os.getpid()


def _busy(seconds: float) -> int:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return os.getpid()


def test_a_child_blocked_on_an_inherited_lock_is_read_again_in_a_new_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # any lock another thread held at the fork (not only strptime's) would hang a forked child
    # until the time limit; one that uses no CPU for STALL_S is read again in a spawned child
    from assistant.documents import worker

    monkeypatch.setattr(worker, "STALL_S", 1.0)
    started = time.monotonic()
    with _HELD:
        pid = worker.run_in_child(_take_the_held_lock, timeout=60)
    assert time.monotonic() - started < 30  # not the 60 s limit
    assert pid != os.getpid() and "made no progress for 1.0 s" in caplog.text
    assert parse_children() == []


def test_a_child_that_works_is_not_taken_for_a_blocked_one(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from assistant.documents import worker

    monkeypatch.setattr(worker, "STALL_S", 0.5)
    assert worker.run_in_child(_busy, 2.0, timeout=60) != os.getpid()
    assert "made no progress" not in caplog.text
