"""The web page's HTML helpers, feedback log and settings handling, without a server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.knowledge import FileResult, IngestReport
from assistant.serialise import parse_history
from assistant.types import Answer, AnswerSentence, Chunk, Citation, DocumentRecord
from assistant.ui import render
from assistant.ui.feedback import FeedbackEntry, FeedbackLog
from assistant.ui.server import parse_auth
from assistant.ui.session import ChatSession
from assistant.ui.uploads import read_uploads

HOSTILE = '<script>alert(1)</script> <img src=x onerror="alert(2)"> **bold** [l](http://e.x)'
TAGS = re.compile(r"<(/?)([a-zA-Z]+)")
# the only elements our own markup uses; anything else would have come from a document
OUR_TAGS = {"div", "p", "span", "mark", "details", "summary", "blockquote", "s", "b", "table",
            "thead", "tbody", "tr", "th", "td", "ul", "li"}  # fmt: skip


def citation(passage: str, quote: str, n: int = 1, **kw: object) -> Citation:
    start = passage.find(quote)
    spans = ((start, start + len(quote)),) if start >= 0 else ()
    fields: dict[str, object] = {
        "n": n,
        "chunk_id": f"c{n}",
        "document_id": "doc-1",
        "title": "A title",
        "location": "paragraph 2",
        "quote": quote,
        "passage": passage,
        "highlights": spans,
    }
    fields.update(kw)
    return Citation(**fields)  # type: ignore[arg-type]


def answer_with(*citations: Citation, **kw: object) -> Answer:
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    sentences = [AnswerSentence(c.quote, (c.n,), "supported") for c in citations]
    fields: dict[str, object] = {
        "text": text,
        "abstained": False,
        "citations": list(citations),
        "sentences": sentences,
    }
    fields.update(kw)
    return Answer(**fields)  # type: ignore[arg-type]


def tags_in(markup: str) -> set[str]:
    return {name.lower() for _, name in TAGS.findall(markup)}


# ---- escaping ----


def test_hostile_document_text_renders_as_text_everywhere() -> None:
    passage = f"Before. {HOSTILE} The quoted sentence. After."
    cited = citation(passage, "The quoted sentence.", title=f"Title {HOSTILE}")
    ctx = {"c1": render.SourceContext(before=HOSTILE, after=HOSTILE)}
    markup = render.answer_html(answer_with(cited), ctx)

    assert tags_in(markup) <= OUR_TAGS
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "onerror=&quot;alert(2)&quot;" in markup
    assert "**bold**" in markup  # markdown stays literal: the Chatbot renders with markdown off


def test_hostile_questions_titles_and_file_names_are_escaped() -> None:
    record = DocumentRecord(
        "d", HOSTILE, f"upload/{HOSTILE}", "md", "x", 3, "2026-01-02T03:04:05+00:00", ""
    )
    report = IngestReport([FileResult(HOSTILE, "rejected", HOSTILE)])
    for markup in (
        render.user_html(HOSTILE),
        render.error_html(HOSTILE),
        render.pending_html(HOSTILE),
        render.notice_html(HOSTILE, kind='x" onclick="y'),
        render.documents_html([record], 3),
        render.ingest_html(report),
    ):
        assert tags_in(markup) <= OUR_TAGS, markup
        assert "&lt;script&gt;" in markup
        assert 'onclick="' not in markup


# ---- highlights ----


def test_highlight_marks_exactly_the_spans() -> None:
    text = "alpha <beta> gamma delta"
    assert (
        render.highlight(text, [(6, 12)])
        == 'alpha <mark class="quote">&lt;beta&gt;</mark> gamma delta'
    )


def test_highlight_merges_overlaps_and_clips_bad_spans() -> None:
    text = "0123456789"
    marked = render.highlight(text, [(5, 8), (2, 6), (8, 99), (-3, 0), (7, 3)])
    assert marked == '01<mark class="quote">23456789</mark>'


def test_highlight_without_spans_is_plain_escaped_text() -> None:
    assert render.highlight("a < b", []) == "a &lt; b"


def test_quote_spans_fall_back_to_finding_the_quote() -> None:
    passage = "First one. Second one. Third."
    cited = citation(passage, "Second one.", highlights=())
    assert render.quote_spans(cited) == [(11, 22)]
    assert render.quote_spans(citation(passage, "not there", highlights=())) == []


def test_excerpt_keeps_the_quote_whole_and_trims_far_context() -> None:
    before = "word " * 200
    passage = f"{before}The quoted sentence. {before}"
    cited = citation(passage, "The quoted sentence.")
    shown = render.excerpt(passage, render.quote_spans(cited), context=50)
    assert '<mark class="quote">The quoted sentence.</mark>' in shown
    assert shown.startswith("…") and shown.endswith("…")
    assert len(shown) < 200


def test_excerpt_stays_inside_the_quotes_paragraph() -> None:
    passage = "Earlier paragraph.\n\nLead in. The quote. Tail.\n\nLater paragraph."
    cited = citation(passage, "The quote.")
    shown = render.excerpt(passage, render.quote_spans(cited))
    assert shown == 'Lead in. <mark class="quote">The quote.</mark> Tail.'


# ---- answers ----


def test_answer_shows_markers_and_only_cited_sources() -> None:
    one = citation("Alpha is first. More.", "Alpha is first.", n=1, title="Doc one")
    two = citation("Beta text.", "Beta text.", n=2, title="Doc two")
    answer = answer_with(one)
    answer.citations.append(two)  # retrieved but not cited: must not be listed
    markup = render.answer_html(answer)
    assert '<span class="cite-ref" title="Doc one — paragraph 2">[1]</span>' in markup
    assert markup.count('class="source-card"') == 1
    assert "Doc one" in markup and "Doc two" not in markup
    assert '<mark class="quote">Alpha is first.</mark>' in markup


def test_source_card_has_location_and_surrounding_text_disclosure() -> None:
    cited = citation("Middle passage. Quoted here.", "Quoted here.", location="page 3, paragraph 7")
    ctx = render.SourceContext(before="The text before.", after="The text after.")
    card = render.source_card(cited, ctx)
    assert "page 3, paragraph 7" in card
    assert "<details" in card and "Show surrounding text" in card
    disclosed = card.split("<details", 1)[1]
    assert disclosed.index("The text before.") < disclosed.index("Quoted here.")
    assert disclosed.index("Quoted here.") < disclosed.index("The text after.")
    assert '<mark class="quote">Quoted here.</mark>' in disclosed


def test_neighbours_finds_the_chunks_on_either_side() -> None:
    chunks = [
        Chunk(f"c{i}", "d", "t", "s", f"text {i}", i * 10, i * 10 + 9, i, i) for i in range(3)
    ]
    assert render.neighbours(chunks, "c1") == render.SourceContext("text 0", "text 2")
    assert render.neighbours(chunks, "c0") == render.SourceContext("", "text 1")
    assert render.neighbours(chunks, "gone") == render.SourceContext()


def test_declined_answer_looks_different_and_lists_no_sources() -> None:
    declined = Answer(
        text="The sources don't say: nothing in the knowledge base answers this question.",
        abstained=True,
        citations=[citation("x. y.", "x.")],
    )
    markup = render.answer_html(declined)
    assert 'class="declined"' in markup
    assert "The sources don't say" in markup
    assert "Nothing in the knowledge base answers this question." in markup
    assert "source-card" not in markup and "cite-ref" not in markup


def test_unverified_sentences_are_flagged_or_hidden() -> None:
    good = citation("Good claim. Rest.", "Good claim.")
    answer = answer_with(good)
    answer.sentences = [
        AnswerSentence("Good claim.", (1,), "supported"),
        AnswerSentence("Made-up claim.", (1,), "unsupported"),
        AnswerSentence("Uncited claim.", (), "uncited"),
    ]
    shown = render.answer_html(answer)
    assert '<span class="sentence unsupported"' in shown and "<s>Made-up claim.</s>" in shown
    assert '<span class="sentence uncited"' in shown and "<s>Uncited claim.</s>" in shown
    assert shown.count('class="badge warn"') == 2

    hidden = render.answer_html(answer, hide_unsupported=True)
    assert "Made-up claim." not in hidden and "Uncited claim." not in hidden
    assert "2 unverified sentences hidden" in hidden
    assert "Good claim." in hidden


def test_fallback_answers_carry_a_note() -> None:
    good = citation("Good claim. Rest.", "Good claim.")
    assert "failed verification" in render.answer_html(answer_with(good, fallback=True))
    assert "failed verification" not in render.answer_html(answer_with(good))


def test_answer_without_sentences_renders_markers_from_text() -> None:
    cited = citation("Alpha. Beta.", "Alpha.")
    answer = Answer(text="Alpha <b>x</b> [1] and [7].", abstained=False, citations=[cited])
    markup = render.answer_html(answer)
    assert 'Alpha &lt;b&gt;x&lt;/b&gt; <span class="cite-ref"' in markup
    assert "[7]" in markup and markup.count('class="cite-ref"') == 1


# ---- knowledge base tab ----


def test_documents_table_lists_title_type_chunks_and_time() -> None:
    records = [
        DocumentRecord("a", "First", "upload/a.md", "md", "s", 4, "2026-11-28T07:31:42+00:00", ""),
        DocumentRecord("b", "Second", "b.pdf", "pdf", "s", 2, "2026-11-28T08:00:00+00:00", ""),
    ]
    markup = render.documents_html(records, 6)
    assert "<b>2</b> documents" in markup and "<b>6</b> chunks indexed" in markup
    assert markup.count("<tr>") == 3
    assert "2026-11-28 07:31" in markup and ">pdf<" in markup
    assert "is empty" in render.documents_html([], 0)


def test_ingest_results_show_each_status_and_reason() -> None:
    report = IngestReport(
        [
            FileResult("a.md", "added", "", "a", "A", 3),
            FileResult("b.md", "updated", "", "b", "B", 2),
            FileResult("c.md", "unchanged", "duplicate of a"),
            FileResult("d.exe", "rejected", "unsupported file type '.exe'"),
        ]
    )
    markup = render.ingest_html(report)
    for status in ("added", "updated", "unchanged", "rejected"):
        assert f'<span class="status-pill {status}">{status}</span>' in markup
    assert "duplicate of a" in markup and "unsupported file type" in markup


# ---- uploads, auth, history, session ----


def test_read_uploads_uses_names_as_labels_and_enforces_the_limit(tmp_path: Path) -> None:
    small = tmp_path / "notes.md"
    small.write_bytes(b"# Notes\n\nHello.")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    items, rejected = read_uploads([str(small), str(big), str(tmp_path / "missing.md")], 1024)
    assert items == [("notes.md", b"# Notes\n\nHello.")]
    assert [(r.name, r.status) for r in rejected] == [
        ("big.txt", "rejected"),
        ("missing.md", "rejected"),
    ]
    assert "upload limit" in rejected[0].reason
    assert not small.exists() and not big.exists()  # Gradio's temp copies are not kept


def test_parse_auth() -> None:
    assert parse_auth(None) is None
    assert parse_auth("") is None
    assert parse_auth("ann:s3cr:et") == ("ann", "s3cr:et")
    for bad in ("ann", "ann:", ":pw"):
        with pytest.raises(AssistantError, match="user:password"):
            parse_auth(bad)


def test_web_history_keeps_only_text_turns() -> None:
    turns = parse_history(
        [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a [1]"},
            {"role": "system", "content": "ignored"},
            {"role": "assistant", "content": {"path": "file"}},
        ],
        skip_invalid=True,
    )
    assert [(t.role, t.content) for t in turns] == [("user", "q"), ("assistant", "a [1]")]


def test_sessions_do_not_share_state() -> None:
    one, two = ChatSession(), ChatSession()
    one.turns.append(parse_history([{"role": "user", "content": "q"}])[0])
    assert two.turns == [] and two.exchanges == {}


# ---- feedback ----


def test_feedback_log_appends_json_lines(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "data" / "feedback.jsonl")
    cited = citation("Alpha. Beta.", "Alpha.")
    entry = FeedbackEntry("q?", "Alpha. [1]", [cited.to_json()], "up")
    log.append(entry)
    entry.comment = "clear and correct"
    log.append(entry)
    log.append(FeedbackEntry("q2?", "The sources don't say.", [], "down", abstained=True))

    lines = (tmp_path / "data" / "feedback.jsonl").read_text().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["id"] == second["id"] != third["id"]
    assert (first["rating"], first["comment"], second["comment"]) == ("up", "", "clear and correct")
    assert first["question"] == "q?" and first["answer"] == "Alpha. [1]"
    assert first["citations"][0]["quote"] == "Alpha."
    assert first["time"].endswith("+00:00")
    assert third["rating"] == "down" and third["abstained"] is True
    assert log.read() == [first, second, third]


def test_source_contexts_reads_neighbours_once_per_document_version(fake_runtime) -> None:  # type: ignore[no-untyped-def]
    from assistant.ui.session import SourceContexts

    kb = fake_runtime.knowledge

    def doc(tag: str) -> bytes:
        paras = [
            f"Paragraph {i} {tag}. " + f"filler words for paragraph {i}. " * 30 for i in range(3)
        ]
        return ("# Doc\n\n" + "\n\n".join(paras)).encode()

    kb.ingest_bytes([("doc.md", doc("one"))])
    chunks = kb.document_chunks(kb.documents()[0].document_id)
    assert len(chunks) >= 3
    middle = chunks[1]
    cited = Citation(1, middle.chunk_id, middle.document_id, "Doc", "p", "x", middle.text)
    answer = Answer(text="x [1]", abstained=False, citations=[cited])

    calls: list[str] = []
    real = kb.document_chunks

    def counting(document_id: str) -> list[Chunk]:
        calls.append(document_id)
        return real(document_id)

    kb.document_chunks = counting
    contexts = SourceContexts(kb)
    first = contexts(answer)[middle.chunk_id]
    assert (first.before, first.after) == (chunks[0].text, chunks[2].text)
    contexts(answer)
    assert len(calls) == 1  # cached

    kb.ingest_bytes([("doc.md", doc("two"))])  # a new version of the document
    contexts(answer)
    assert len(calls) == 2
