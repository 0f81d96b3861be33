"""Feedback becomes evaluation: thumbs-down answers from the web chat as draft question-set items.

``assistant eval from-feedback --out SET.yaml`` reads ``<data_dir>/feedback.jsonl`` (the last line
of each id is its complete record) and writes one draft item per rated answer in the question-set
format of :mod:`assistant.evaluation.questions`, for a reviewer to finish:

- the question and its history are kept as asked; the answer that was given, the rating and the
  reader's comment become comments above the item;
- ``answerable`` is left for the reviewer (``true`` is written, with a ``REVIEW`` comment);
- every cited passage (then every retrieved passage not cited) is listed under
  ``expected_sources`` with a quote from it, so the reviewer fills ``expected_sources`` by
  deleting lines; ``must_include`` is left as a commented template.

A reviewed file runs with ``assistant eval`` unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import AssistantError

MAX_QUOTE_WORDS = 12


def read_feedback(path: Path) -> list[dict[str, Any]]:
    """The complete record of each rated answer, oldest first (the last line of an id wins)."""
    if not path.exists():
        return []
    records: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AssistantError(f"{path}: line {number}: not valid JSON: {exc.msg}") from None
            if isinstance(record, dict) and record.get("id") and record.get("question"):
                records.pop(str(record["id"]), None)  # re-inserted: ordered by its last line
                records[str(record["id"])] = record
    return sorted(records.values(), key=lambda r: str(r.get("time", "")))


def select(
    records: Iterable[dict[str, Any]],
    *,
    since: dt.date | None = None,
    ratings: Sequence[str] = ("down",),
) -> list[dict[str, Any]]:
    """The records with one of ``ratings``, rated on or after ``since`` (UTC date)."""
    chosen = []
    for record in records:
        if record.get("rating") not in ratings:
            continue
        if since is not None:
            try:
                when = dt.datetime.fromisoformat(str(record.get("time"))).date()
            except ValueError:
                continue
            if when < since:
                continue
        chosen.append(record)
    return chosen


def _quote(text: str) -> str:
    """A quote for ``expected_sources``: the first sentence of the text, at most 12 words."""
    first = text.strip().split(". ")[0].strip()
    words = first.split()
    return " ".join(words[:MAX_QUOTE_WORDS]).rstrip(".,;:")


def _document(entry: dict[str, Any]) -> str:
    """How a question set names the document: its file name (stable across re-indexing), else id."""
    source = str(entry.get("source") or "")
    return Path(source).name if source else str(entry.get("document_id", ""))


def _comment(label: str, text: str, width: int = 96) -> list[str]:
    lines = textwrap.wrap(" ".join(text.split()), width=width - len(label) - 4) or [""]
    out = [f"# {label}: {lines[0]}"]
    out += [f"#   {line}" for line in lines[1:]]
    return out


def _scalar(value: str) -> str:
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)
    return dumped.removesuffix("\n...\n").strip()


def draft_item(record: dict[str, Any], used_ids: set[str]) -> list[str]:
    """The YAML lines of one draft item, with the reviewer's notes as comments."""
    base = f"fb-{str(record['id'])[:8]}"
    item_id, n = base, 2
    while item_id in used_ids:
        item_id, n = f"{base}-{n}", n + 1
    used_ids.add(item_id)
    lines = [f"# From feedback {record['id']} ({record.get('rating')}, {record.get('time')})"]
    if record.get("comment"):
        lines += _comment("Reader's comment", str(record["comment"]))
    given = "(declined) " if record.get("abstained") else ""
    lines += _comment("Answer given", given + str(record.get("answer", "")))
    lines.append(f"- id: {item_id}")
    lines.append(f"  question: {_scalar(str(record['question']))}")
    history = [
        t
        for t in record.get("history") or []
        if isinstance(t, dict) and t.get("role") in ("user", "assistant")
    ]
    if history:
        lines.append("  history:")
        for turn in history:
            lines.append(f"    - role: {turn['role']}")
            lines.append(f"      content: {_scalar(str(turn.get('content', '')))}")
    lines.append("  answerable: true  # REVIEW: false if the sources can't answer it")
    lines.append("  # REVIEW: what a right answer must contain, e.g.")
    lines.append('  # must_include: [["phrase", "or its variant"]]')
    sources: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for citation in record.get("citations") or []:
        quote = str(citation.get("quote") or citation.get("passage") or "")
        key = (_document(citation), _quote(quote))
        if key[1] and key not in seen:
            seen.add(key)
            sources.append((*key, f"cited [{citation.get('n', '?')}]"))
    for hit in record.get("retrieved") or []:
        key = (_document(hit), _quote(str(hit.get("text", ""))))
        if key[1] and key not in seen:
            seen.add(key)
            sources.append((*key, "retrieved, not cited"))
    if sources:
        lines.append("  # REVIEW: keep only the passages a right answer rests on (delete the rest)")
        lines.append("  expected_sources:")
        for document, quote, why in sources:
            lines.append(f"    - document: {_scalar(document)}  # {why}")
            lines.append(f"      quote: {_scalar(quote)}")
    note = f"from feedback {record.get('time')}"
    if record.get("comment"):
        note += f": {' '.join(str(record['comment']).split())}"
    lines.append(f"  notes: {_scalar(note)}")
    return lines


def draft_set(records: Sequence[dict[str, Any]], *, source: str) -> str:
    """The whole draft file: a header saying how to review it, then one item per record."""
    header = [
        f"# Draft question set from {len(records)} rated answer(s) in {source}",
        f"# written {dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()} by"
        " `assistant eval from-feedback`.",
        "# To review each item: set `answerable`, add `must_include` (and a `reference` if you",
        "# like), delete the expected_sources lines a right answer does not rest on, then run",
        "# `assistant eval THIS_FILE`.",
        "",
    ]
    used: set[str] = set()
    body: list[str] = []
    for record in records:
        body += [*draft_item(record, used), ""]
    return "\n".join(header + body)
