"""A kept conversation as Markdown: each question, its answer with its [n] markers, and under it
the numbered sources with the quotes the markers point to, so the export is checkable on its own.

Text that came from a reader or a document is escaped (`_esc`), so a Markdown viewer shows it as
text: no HTML, links, images, code or emphasis made from it, and no heading or list started by it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from assistant.chats.store import Conversation, StoredExchange
from assistant.markers import format_markers, parse_markers
from assistant.source_label import date_note, display_date, heading_parts
from assistant.types import plural

_MARKS = {
    "unsupported": "unsupported",
    "uncited": "uncited",
    "contradicted": "contradicted by its source",
}


_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"^([#=+-])|^(\d+)([.)])")


def _esc_run(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _esc(text: str) -> str:
    """Text as Markdown shows it literally, on one line: HTML, emphasis, code, links, images and
    tables escaped, and nothing at its start can open a heading or a list. Citation markers
    ("[1]", "[2, 3]") stay as they are, but a "(" after one is escaped, so no link is made."""
    text = " ".join(text.split())
    parts, at = [], 0
    for marker in parse_markers(text):
        parts.append(_esc_run(text[at : marker.bracket]) + text[marker.bracket : marker.end])
        at = marker.end
    parts.append(_esc_run(text[at:]))
    escaped = "".join(parts).replace("](", "]\\(")
    return _LINE_START.sub(_escape_start, escaped)


def _escape_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return f"{match.group(2)}\\{match.group(3)}"  # "1." becomes "1\.": digits cannot be escaped


def written_time(iso: str) -> str:
    """An ISO time as "2 December 2026, 11:30 UTC" (as given when it is not one)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{display_date(moment.date().isoformat())}, {moment:%H:%M} UTC"


def _answer_lines(answer: dict[str, Any]) -> list[str]:
    sentences = answer.get("sentences") or []
    checked = not answer.get("abstained") and any(
        isinstance(s, dict) and s.get("status", "supported") != "supported" for s in sentences
    )
    if not checked:
        return [_esc(str(answer.get("answer", "")))]
    lines = []
    for s in sentences:  # an LLM answer with sentences its sources do not support: marked
        marks = format_markers(tuple(s.get("citations", [])))
        mark = _MARKS.get(str(s.get("status")), "")
        text = f"{_esc(str(s.get('text', '')))} {marks}".rstrip()
        lines.append(f"- {text}" + (f" **({mark})**" if mark else ""))
    return lines


def _citation_lines(citation: dict[str, Any]) -> list[str]:
    metadata = {
        k: str(citation[k]) for k in ("site", "published", "author", "url") if citation.get(k)
    }
    name = ", ".join(_esc(part) for part in heading_parts(str(citation.get("title", "")), metadata))
    head = f"{citation.get('n')}. {name} — {_esc(str(citation.get('location', '')))}"
    lines = [head + f" ({_esc(str(citation.get('document_id', '')))})"]
    quote = str(citation.get("quote", ""))
    lines.append(f"   > “{_esc(quote)}”")
    note = date_note(quote, metadata)
    if note:
        lines.append(f"   >\n   > ({note})")
    byline = [f"by {_esc(metadata['author'])}"] if metadata.get("author") else []
    if metadata.get("url", "").startswith(("http://", "https://")):
        byline.append(f"<{metadata['url'].replace('>', '%3E').replace(' ', '%20')}>")
    if byline:
        lines.append("   " + " · ".join(byline))
    return lines


def exchange_markdown(number: int, exchange: StoredExchange) -> str:
    answer = exchange.answer
    lines = [f"## {number}. {_esc(exchange.question)}", ""]
    if exchange.asked:
        lines += [f"*Asked {written_time(exchange.asked)}*", ""]
    lines += _answer_lines(answer)
    limited = answer.get("limited_to") or []
    if limited:
        titles = "; ".join(_esc(str(d.get("title", ""))) for d in limited if isinstance(d, dict))
        lines += ["", f"*Searched only: {titles}*"]
    citations = [c for c in answer.get("citations") or [] if isinstance(c, dict)]
    if citations:
        lines += ["", "**Sources**", ""]
        for citation in citations:
            lines += _citation_lines(citation)
    return "\n".join(lines)


def conversation_markdown(conversation: Conversation) -> str:
    """The whole conversation as one Markdown document."""
    head = [
        f"# {_esc(conversation.title)}",
        "",
        f"Conversation started {written_time(conversation.created)}; "
        f"{plural(len(conversation.exchanges), 'question')}. "
        "Each answer's [n] markers refer to the sources listed under it.",
    ]
    parts = ["\n".join(head)]
    parts += [exchange_markdown(i, e) for i, e in enumerate(conversation.exchanges, start=1)]
    return "\n\n".join(parts) + "\n"
