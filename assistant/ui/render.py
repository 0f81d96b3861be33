"""HTML for the web page, built from escaped text only.

Everything that comes from a document, a question or an answer goes through `html.escape` here,
and the Chatbot renders these strings with markdown off, so a source containing `<script>`,
`<img onerror=...>` or `**markdown**` shows as literal text. The only markup on the page is the
markup written in this module.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.knowledge import IngestReport, Status
from assistant.markers import Marker, marker_numbers, replace_markers
from assistant.scope import limited_line
from assistant.types import (
    DECLINE_DETAIL,
    DECLINE_HEADING,
    Answer,
    AnswerSentence,
    Chunk,
    Citation,
    DocumentRecord,
    decline_detail,
    plural,
)
from assistant.ui import source_meta

EXCERPT_CONTEXT = 240  # characters of passage shown on each side of the highlighted sentences

STATUS_LABELS: dict[Status, str] = {
    "added": "added",
    "updated": "updated",
    "unchanged": "unchanged",
    "rejected": "rejected",
}


def esc(text: str) -> str:
    """Text as HTML text: every tag, entity and quote is shown literally."""
    return html.escape(text, quote=True)


@dataclass(frozen=True)
class SourceContext:
    """The text just before and just after a cited passage in its document."""

    before: str = ""
    after: str = ""


def neighbours(chunks: Sequence[Chunk], chunk_id: str) -> SourceContext:
    """The chunks on either side of `chunk_id` in a document's chunks sorted by position."""
    for i, chunk in enumerate(chunks):
        if chunk.chunk_id == chunk_id:
            before = chunks[i - 1].text if i > 0 else ""
            after = chunks[i + 1].text if i + 1 < len(chunks) else ""
            return SourceContext(before, after)
    return SourceContext()


def _clean_spans(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans clipped to the text, sorted, with overlapping ones merged."""
    clipped = sorted(
        (max(0, start), min(length, end))
        for start, end in spans
        if min(length, end) > max(0, start)
    )
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` escaped, with each span wrapped in <mark>; bad spans are clipped or ignored."""
    out: list[str] = []
    pos = 0
    for start, end in _clean_spans(spans, len(text)):
        out.append(esc(text[pos:start]))
        out.append(f'<mark class="quote">{esc(text[start:end])}</mark>')
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def quote_spans(citation: Citation) -> list[tuple[int, int]]:
    """The highlight spans of a citation, or the quote's position in the passage if it has none."""
    if citation.highlights:
        return list(citation.highlights)
    if citation.quote:
        at = citation.passage.find(citation.quote)
        if at >= 0:
            return [(at, at + len(citation.quote))]
    return []


def _cut_left(text: str, keep: int) -> str:
    """The last `keep` characters of text, cut at a word boundary, with an ellipsis."""
    if len(text) <= keep:
        return text
    tail = text[-keep:]
    space = tail.find(" ")
    return "…" + (tail[space + 1 :] if 0 <= space < keep // 2 else tail)


def _cut_right(text: str, keep: int) -> str:
    if len(text) <= keep:
        return text
    head = text[:keep]
    space = head.rfind(" ")
    return (head[:space] if space > keep // 2 else head) + "…"


def excerpt(passage: str, spans: Sequence[tuple[int, int]], context: int = EXCERPT_CONTEXT) -> str:
    """The highlighted sentences with some of the passage around them (escaped, with <mark>)."""
    clean = _clean_spans(spans, len(passage))
    if not clean:
        return esc(_cut_right(passage, 2 * context))
    first, last = clean[0][0], clean[-1][1]
    # context stays inside the quote's own paragraph(s)
    before = _cut_left(passage[:first].rsplit("\n\n", 1)[-1], context)
    after = _cut_right(passage[last:].split("\n\n", 1)[0], context)
    shifted = [(s - first, e - first) for s, e in clean]
    return esc(before) + highlight(passage[first:last], shifted) + esc(after)


def _chip(n: int, title: str) -> str:
    return f'<span class="cite-ref" title="{esc(title)}">[{n}]</span>'


def cite_markers(escaped: str, titles: dict[int, str]) -> str:
    """[n] markers in already-escaped text shown as citation chips, one per number; a marker
    with a number no citation has stays plain text."""

    def chips(marker: Marker, original: str) -> str:
        if not all(n in titles for n in marker.numbers):
            return original
        space = original[: marker.bracket - marker.start]
        return space + "".join(_chip(n, titles[n]) for n in marker.numbers)

    return replace_markers(escaped, chips)


def _sentence_html(sentence: AnswerSentence, titles: dict[int, str]) -> str:
    body = esc(sentence.text)
    markers = "".join(" " + _chip(n, titles.get(n, "")) for n in sentence.citations)
    if sentence.status == "supported":
        return f'<span class="sentence supported">{body}{markers}</span>'
    if sentence.status == "contradicted":
        label = "contradicted by the cited source"
        badge = f'<span class="badge bad">✗ {label}</span>'
    else:
        label = (
            "not supported by the cited source" if sentence.status == "unsupported" else "no source"
        )
        badge = f'<span class="badge warn">⚠ {label}</span>'
    title = esc(sentence.reason) if sentence.reason else label
    return (
        f'<span class="sentence {sentence.status}" title="{title}">'
        f"{badge} <s>{body}</s>{markers}</span>"
    )


def partial_html(answer: Answer) -> str:
    """The notice on an answer that covers only part of the question: what the sources don't say."""
    if answer.coverage != "partial":
        return ""
    missing = "".join(f"<li>{esc(part)}</li>" for part in answer.missing)
    listed = f'<ul class="partial-text">{missing}</ul>' if missing else ""
    return (
        '<div class="partial"><span class="partial-head">◐ Partly answered</span>'
        '<p class="partial-text">The sources don\'t answer this part of the question:</p>'
        f"{listed}</div>"
    )


def answer_body(answer: Answer, *, hide_unsupported: bool = False) -> str:
    """The answer's text with its [n] markers; unverified sentences marked, or hidden."""
    titles = {c.n: f"{c.title} — {c.location}" for c in answer.citations}
    sentences = answer.sentences
    if sentences and all(s.text for s in sentences):
        shown = [s for s in sentences if s.status == "supported" or not hide_unsupported]
        hidden = len(sentences) - len(shown)
        parts = [_sentence_html(s, titles) for s in shown]
        body = " ".join(parts)
        if hidden:
            noun = "sentence" if hidden == 1 else "sentences"
            body += f' <span class="badge muted">{hidden} unverified {noun} hidden</span>'
        return f'<p class="answer-text">{body}</p>'
    paragraphs = [p for p in answer.text.split("\n\n") if p.strip()]
    return "".join(f'<p class="answer-text">{cite_markers(esc(p), titles)}</p>' for p in paragraphs)


def source_card(citation: Citation, context: SourceContext | None = None) -> str:
    """One cited source: number, its name ("Title, Site, 12 May 2024, paragraph 4"), author and
    link, the passage with the quote highlighted (with the source's date when the quote holds a
    relative time), and a disclosure with the surrounding text of the document."""
    spans = quote_spans(citation)
    meta = citation.document_metadata
    full = highlight(citation.passage, spans)
    surrounding = ""
    if context is not None and (context.before or context.after):
        before = (
            f'<p class="context-text">{esc(_cut_left(context.before, 600))}</p>'
            if context.before
            else ""
        )
        after = (
            f'<p class="context-text">{esc(_cut_right(context.after, 600))}</p>'
            if context.after
            else ""
        )
        surrounding = (
            '<details class="surrounding"><summary>Show surrounding text</summary>'
            f'<div class="context">{before}<p class="passage-text">{full}</p>{after}</div>'
            "</details>"
        )
    else:
        surrounding = (
            '<details class="surrounding"><summary>Show the whole passage</summary>'
            f'<div class="context"><p class="passage-text">{full}</p></div></details>'
        )
    return (
        f'<div class="source-card" data-n="{citation.n}">'
        f'<div class="source-head"><span class="source-n">{citation.n}</span>'
        f"{source_meta.heading_html(citation.title, meta, citation.location)}</div>"
        f"{source_meta.byline_html(meta)}"
        f'<blockquote class="excerpt">{excerpt(citation.passage, spans)}</blockquote>'
        f"{source_meta.date_note_html(citation.quote, meta)}"
        f"{surrounding}</div>"
    )


def answer_html(
    answer: Answer,
    contexts: dict[str, SourceContext] | None = None,
    *,
    hide_unsupported: bool = False,
) -> str:
    """A whole assistant message: the answer (or a declined card), notes, and the cited sources.

    `contexts` maps chunk ids to the text around them, for the "surrounding text" disclosure.
    """
    if answer.abstained:
        return declined_html(decline_detail(answer.text)) + limited_html(answer)
    notes = limited_html(answer)
    if answer.fallback:
        notes += (
            '<p class="note fallback">LLM answer failed verification; offline answer shown.</p>'
        )
    cited = {n for s in answer.sentences for n in s.citations} | set(marker_numbers(answer.text))
    citations = [c for c in answer.citations if c.n in cited] or list(answer.citations)
    sources = ""
    if citations:
        cards = "".join(source_card(c, (contexts or {}).get(c.chunk_id)) for c in citations)
        label = "Source" if len(citations) == 1 else "Sources"
        sources = f'<div class="sources"><div class="sources-label">{label}</div>{cards}</div>'
    return (
        f'<div class="answer">{partial_html(answer)}'
        f"{answer_body(answer, hide_unsupported=hide_unsupported)}"
        f"{notes}{sources}</div>"
    )


def limited_html(answer: Answer) -> str:
    """The note saying which sources an answer was limited to ("" when it was not)."""
    line = limited_line(answer.limited_to)
    return f'<p class="note limited">{esc(line)}</p>' if line else ""


def declined_html(detail: str = DECLINE_DETAIL) -> str:
    """The card of a declined answer: what the sources don't say, and what a reader can do."""
    heading = html.escape(DECLINE_HEADING, quote=False)
    detail = html.escape(detail[:1].upper() + detail[1:], quote=False)
    return (
        '<div class="declined"><div class="declined-head">'
        f'<span class="declined-icon">∅</span> {heading}</div>'
        f'<p class="declined-text">{detail}</p>'
        '<p class="declined-hint">Try rephrasing the question, or add a document that covers '
        "it on the Knowledge base tab.</p></div>"
    )


def pending_html(text: str) -> str:
    """An answer still streaming in: plain escaped text."""
    if not text:
        return (
            '<div class="answer pending"><span class="thinking">Searching the sources…</span></div>'
        )
    return f'<div class="answer pending"><p class="answer-text">{esc(text)}</p></div>'


def user_html(question: str) -> str:
    return f'<p class="question-text">{esc(question)}</p>'


def error_html(message: str) -> str:
    return f'<div class="error-card">⚠ {esc(message)}</div>'


def documents_html(records: Sequence[DocumentRecord], chunk_total: int) -> str:
    """The knowledge base as a table: title, type, chunks, when added."""
    noun = "document" if len(records) == 1 else "documents"
    summary = (
        f'<div class="kb-summary"><span class="kb-stat"><b>{len(records)}</b> {noun}</span>'
        f'<span class="kb-stat"><b>{chunk_total}</b> chunks indexed</span></div>'
    )
    if not records:
        return summary + (
            '<p class="kb-empty">The knowledge base is empty. Upload a document below.</p>'
        )
    rows = "".join(
        "<tr>"
        f'<td class="doc-title">{esc(r.title)}<div class="doc-path">{esc(r.path)}</div>'
        f"{source_meta.document_meta_html(r.metadata)}</td>"
        f'<td><span class="type-pill">{esc(r.doc_type)}</span></td>'
        f'<td class="num">{r.chunks}</td>'
        f'<td class="when">{esc(_short_time(r.added))}</td>'
        "</tr>"
        for r in records
    )
    return (
        f'{summary}<table class="kb-table"><thead><tr><th>Title</th><th>Type</th>'
        f'<th class="num">Chunks</th><th>Added (UTC)</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _short_time(iso: str) -> str:
    """2026-11-28T07:31:42.123+00:00 -> 2026-11-28 07:31."""
    if len(iso) >= 16 and iso[10] == "T":
        return f"{iso[:10]} {iso[11:16]}"
    return iso


def ingest_html(report: IngestReport) -> str:
    """Per-file results of an upload."""
    if not report.results:
        return '<div class="ingest-results"><p class="muted">No files.</p></div>'
    items = []
    for r in report.results:
        detail = r.reason or (plural(r.chunks, "chunk") if r.chunks else "")
        title = (
            f'<div class="file-title">{esc(r.title)}</div>' if r.title and r.title != r.name else ""
        )
        items.append(
            f'<li class="ingest-row {r.status}"><span class="status-pill {r.status}">'
            f"{STATUS_LABELS[r.status]}</span><div>"
            f'<span class="file-name">{esc(r.name)}</span> '
            f'<span class="file-detail">{esc(detail)}</span>{title}</div></li>'
        )
    counts = ", ".join(
        f"{report.count(status)} {label}"
        for status, label in STATUS_LABELS.items()
        if report.count(status)
    )
    return (
        f'<div class="ingest-results"><p class="ingest-summary">{esc(counts)}</p>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def notice_html(message: str, kind: str = "ok") -> str:
    return f'<div class="notice {esc(kind)}">{esc(message)}</div>'


def feedback_html(records: Sequence[dict[str, Any]]) -> str:
    """Feedback counts and the latest thumbs-down (question, comment, when)."""
    up = sum(r.get("rating") == "up" for r in records)
    down = [r for r in records if r.get("rating") == "down"]
    summary = (
        '<div class="kb-summary">'
        f'<span class="kb-stat"><b>{up}</b> helpful</span>'
        f'<span class="kb-stat"><b>{len(down)}</b> not helpful</span></div>'
    )
    if not down:
        return summary + '<p class="kb-empty">No thumbs-down yet.</p>'
    latest = down[-1]
    comment = (
        f'<div class="fb-comment">“{esc(str(latest["comment"]))}”</div>'
        if latest.get("comment")
        else '<div class="fb-comment muted">no comment</div>'
    )
    return (
        f'{summary}<div class="fb-latest" id="feedback-latest"><div class="fb-label">Latest '
        f"thumbs-down, {esc(_short_time(str(latest.get('time', ''))))} UTC</div>"
        f'<div class="fb-question">{esc(str(latest.get("question", "")))}</div>{comment}</div>'
    )
