"""Property-based tests (hypothesis) for chunking, ingestion of arbitrary uploads and the question
path. (The loaders' own properties are in tests/test_loaders.py.)"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.config import load_settings
from assistant.conversation import clean_question
from assistant.documents.chunking import chunk_document
from assistant.documents.loaders import load_bytes
from assistant.errors import BadQuestion, RejectedFile
from assistant.index.bm25 import fingerprint
from assistant.runtime import Runtime
from assistant.testing import FakeEmbedder, InMemoryStore
from assistant.types import Answer, Document

WORDS = st.sampled_from(
    ["yen", "alliance", "tariff", "Japan", "defence", "budget", "日本", "防衛", "🚢", "é", "1954"]
)
SENTENCE = st.lists(WORDS | st.text(min_size=1, max_size=12), min_size=1, max_size=40).map(
    lambda ws: " ".join(ws) + "."
)
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=8).map(" ".join)
DOCUMENT = st.lists(PARAGRAPH, min_size=1, max_size=12).map("\n\n".join)


def load(text: str, suffix: str) -> Document | None:
    try:
        return load_bytes(text.encode("utf-8", "surrogatepass"), "doc" + suffix, source="s")
    except RejectedFile as exc:
        assert "\n" not in str(exc)
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=DOCUMENT,
    suffix=st.sampled_from([".txt", ".md"]),
    chunk_size=st.integers(min_value=100, max_value=800),
)
def test_chunks_cover_the_text_in_order_within_the_size(
    text: str, suffix: str, chunk_size: int
) -> None:
    doc = load(text, suffix)
    if doc is None:
        return
    chunks = chunk_document(doc, "doc-1", chunk_size=chunk_size)
    assert chunks
    covered = [False] * len(doc.text)
    previous_end = 0
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        assert len(chunk.text) <= chunk_size
        assert chunk.start >= previous_end  # in order, no overlap (chunk_overlap=0)
        previous_end = chunk.end
        assert 1 <= chunk.paragraph_start <= chunk.paragraph_end <= len(doc.paragraphs)
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    # every visible character of the document is in some chunk
    missed = [ch for ch, hit in zip(doc.text, covered, strict=True) if not hit and not ch.isspace()]
    assert missed == []
    ids = [c.chunk_id for c in chunks]
    assert len(set(ids)) == len(ids)
    assert ids == [c.chunk_id for c in chunk_document(doc, "doc-1", chunk_size=chunk_size)]
    assert set(ids).isdisjoint(
        c.chunk_id for c in chunk_document(doc, "doc-2", chunk_size=chunk_size)
    )


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


UPLOAD = st.one_of(
    st.binary(max_size=400),
    DOCUMENT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(max_size=300).map(lambda t: t.encode("utf-16")),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    uploads=st.lists(
        st.tuples(
            st.text(max_size=20)
            .map(lambda s: s.replace("\x00", ""))
            .flatmap(
                lambda stem: st.sampled_from([".txt", ".md", ".html", ".pdf", ".docx", ""]).map(
                    lambda suffix: stem + suffix
                )
            ),
            UPLOAD,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_upload_is_added_or_rejected_and_indexes_stay_in_step(
    uploads: list[tuple[str, bytes]], scratch: Path
) -> None:
    data = Path(tempfile.mkdtemp(dir=scratch))
    runtime = Runtime(
        load_settings(data_dir=data),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
    )
    kb = runtime.knowledge
    report = kb.ingest_bytes(uploads)
    assert len(report.results) <= len(uploads)
    for result in report.results:
        assert result.status in ("added", "updated", "unchanged", "rejected")
        assert "\n" not in result.reason
    records = kb.documents()
    ids = kb.store.ids()
    assert sum(r.chunks for r in records) == len(ids)
    assert {c.document_id for c in kb.store.chunks()} == {r.document_id for r in records}
    assert kb.bm25().fingerprint == fingerprint(ids)
    assert kb.registry.pending() == []
    assert all(r.path.startswith("upload/") for r in records)


@pytest.fixture(scope="module")
def runtime(scratch: Path) -> Runtime:
    rt = Runtime(
        load_settings(data_dir=scratch / "qa"),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
    )
    rt.knowledge.ingest_bytes(
        [
            ("fleet.md", b"# Fleet\n\nThe fleet has twelve ships.\n\nIt was founded in 1954.\n"),
            ("yen.md", "# Yen\n\nThe yen fell 5% against the dollar. 円安が進んだ。\n".encode()),
        ]
    )
    return rt


QUESTION = st.one_of(
    st.text(max_size=300),
    st.lists(WORDS | st.sampled_from(["how", "many", "ships", "?", "\x00", "\u202e", " "])).map(
        "".join
    ),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Cs"]), max_size=50),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(question=QUESTION)
def test_any_question_gives_an_answer_or_a_bad_question(question: str, runtime: Runtime) -> None:
    try:
        answer = runtime.chain.ask(question)
    except BadQuestion as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(answer, Answer) and answer.text
    for citation in answer.citations:
        assert citation.document_id in {r.document_id for r in runtime.knowledge.documents()}


# The characters the cleaner keeps although they are format characters (Cf): ZWNJ and ZWJ, part of
# Persian, Indic and emoji spelling (assistant/conversation.py).
JOINERS = frozenset({"\u200c", "\u200d"})
# Questions rich in what the cleaner must handle: control (Cc), format (Cf) and surrogate (Cs)
# characters, every kind of Unicode whitespace, and ordinary text around them.
MESSY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.characters(categories=["Cc", "Cf", "Cs", "Zs", "Zl", "Zp"]),
        st.sampled_from(["\u200c", "\u200d", "\u200b", "\u202e", "\xad", "\t", "\n", "\x85"]),
    ),
    max_size=500,
)


def _is_control(ch: str) -> bool:
    """A character no cleaned question may hold: Cc, Cs, or Cf other than the two joiners."""
    category = unicodedata.category(ch)
    return category in ("Cc", "Cs") or (category == "Cf" and ch not in JOINERS)


def _expected_words(text: str) -> list[str]:
    """The words the cleaner must keep, as its docstring specifies them: format characters (Cf,
    but the joiners) vanish, control characters and surrogates (Cc, Cs) separate words as
    whitespace does, and nothing else is changed, dropped or reordered."""
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf" and ch not in JOINERS:
            continue
        if ch.isspace() or category in ("Cc", "Cs"):
            if current:
                words.append("".join(current))
                current = []
            continue
        current.append(ch)
    if current:
        words.append("".join(current))
    return words


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=500), MESSY_TEXT), limit=st.integers(1, 400))
def test_clean_question_leaves_no_control_characters(text: str, limit: int) -> None:
    expected = " ".join(_expected_words(text))
    try:
        cleaned = clean_question(text, limit)
    except BadQuestion as exc:
        assert "\n" not in str(exc)
        # refused only when nothing is left once cleaned, or what is left is over the limit
        if expected:
            assert len(expected) > limit, (text, expected, str(exc))
            assert "the limit is" in str(exc)
        else:
            assert "empty" in str(exc)
        return
    assert not [ch for ch in cleaned if _is_control(ch)]
    # otherwise the input: the same words in the same order, one plain space between them
    assert cleaned == expected
    assert len(cleaned) <= limit
    assert clean_question(cleaned, limit) == cleaned  # idempotent
