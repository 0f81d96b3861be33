"""Question sets: the file formats, their validation, and the :class:`EvalItem` each item becomes.

A question set is YAML (``.yaml``/``.yml``: a list of items, or a mapping whose ``questions`` key
holds the list; other top-level keys such as ``description`` are ignored) or JSON (``.jsonl``: one
object per line, blank lines skipped; ``.json``: a whole JSON document shaped like the YAML, or
else JSON Lines). Each item has these fields, and no others:

``id`` (required, a string or an integer, unique), ``question`` (required, non-empty),
``reference`` (a string, or a list of strings for several acceptable answers),
``must_include`` (a list of lists of phrases), ``expected_sources`` (a list of
``{document, quote}``), ``answerable`` (a boolean, default true), ``history`` (a list of
``{role: user|assistant, content}``), ``notes`` (a string), ``kind`` (``factoid`` (default),
``near-miss``, ``broad`` or ``partial``: what the item tests), ``points`` (broad items: a list of
lists of phrases, one inner list per distinct point a good answer makes), ``missing`` (partial
items: the part of the question the sources don't answer).

Every problem raises :class:`~assistant.errors.AssistantError` with one line naming the file
and the item, e.g.
``eval/sets/x.yaml: item 3 ('q03'): must_include must be a list of lists of strings``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from assistant.errors import AssistantError
from assistant.evaluation.metrics import ExpectedSource
from assistant.types import Turn

FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "question",
        "reference",
        "must_include",
        "expected_sources",
        "answerable",
        "history",
        "notes",
        "kind",
        "points",
        "missing",
    }
)
KINDS: tuple[str, ...] = ("factoid", "near-miss", "broad", "partial")
SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".jsonl", ".json")


@dataclass
class EvalItem:
    """One question of a set, with what a good answer contains and rests on."""

    id: str
    question: str
    reference: str | list[str] | None = None
    must_include: list[list[str]] | None = None
    expected_sources: list[ExpectedSource] = field(default_factory=list)
    answerable: bool = True
    history: list[Turn] = field(default_factory=list)
    notes: str | None = None
    kind: str = "factoid"
    points: list[list[str]] | None = None
    missing: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "reference": self.reference,
            "must_include": self.must_include,
            "expected_sources": [s.to_json() for s in self.expected_sources],
            "answerable": self.answerable,
            "history": [{"role": t.role, "content": t.content} for t in self.history],
            "notes": self.notes,
            "kind": self.kind,
            "points": self.points,
            "missing": self.missing,
        }


class _ItemError(Exception):
    """A problem with one field of one item; the loader adds the file and item to the message."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _parse_id(raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _ItemError("id must be a string")
    value = str(raw).strip()
    if not value:
        raise _ItemError("id must not be empty")
    return value


def _parse_question(raw: object) -> str:
    if raw is None:
        raise _ItemError("question is required")
    if not isinstance(raw, str):
        raise _ItemError("question must be a string")
    if not raw.strip():
        raise _ItemError("question must not be empty")
    return raw.strip()


def _parse_reference(raw: object) -> str | list[str] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        if not raw.strip():
            raise _ItemError("reference must not be empty")
        return raw
    if _is_str_list(raw) and raw and all(r.strip() for r in cast(list[str], raw)):
        return list(cast(list[str], raw))
    raise _ItemError("reference must be a string or a list of non-empty strings")


def _parse_must_include(raw: object, key: str = "must_include") -> list[list[str]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(_is_str_list(g) for g in raw):
        raise _ItemError(f"{key} must be a list of lists of strings")
    groups = [list(g) for g in raw]
    if any(not g for g in groups):
        raise _ItemError(f"{key} has an empty group")
    if any(not phrase.strip() for g in groups for phrase in g):
        raise _ItemError(f"{key} has an empty phrase")
    return groups or None


def _parse_kind(raw: object) -> str:
    if raw is None:
        return "factoid"
    if raw not in KINDS:
        raise _ItemError(f"kind must be one of {', '.join(KINDS)}")
    return str(raw)


def _parse_expected_sources(raw: object) -> list[ExpectedSource]:
    if raw is None:
        return []
    shape = "expected_sources must be a list of {document, quote} mappings"
    if not isinstance(raw, list):
        raise _ItemError(shape)
    sources: list[ExpectedSource] = []
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise _ItemError(shape)
        extra = sorted(str(key) for key in entry if key not in ("document", "quote"))
        if extra:
            raise _ItemError(f"expected_sources[{n}] has unknown field {extra[0]!r}")
        for key in ("document", "quote"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise _ItemError(f"expected_sources[{n}].{key} must be a non-empty string")
        sources.append(ExpectedSource(document=entry["document"].strip(), quote=entry["quote"]))
    return sources


def _parse_answerable(raw: object) -> bool:
    if raw is None:
        return True
    if not isinstance(raw, bool):
        raise _ItemError("answerable must be true or false")
    return raw


def _parse_history(raw: object) -> list[Turn]:
    if raw is None:
        return []
    shape = "history must be a list of {role, content} mappings"
    if not isinstance(raw, list):
        raise _ItemError(shape)
    turns: list[Turn] = []
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise _ItemError(shape)
        extra = sorted(str(key) for key in entry if key not in ("role", "content"))
        if extra:
            raise _ItemError(f"history[{n}] has unknown field {extra[0]!r}")
        role = entry.get("role")
        if role not in ("user", "assistant"):
            raise _ItemError(f"history[{n}].role must be 'user' or 'assistant'")
        content = entry.get("content")
        if not isinstance(content, str):
            raise _ItemError(f"history[{n}].content must be a string")
        turns.append(Turn(role="user" if role == "user" else "assistant", content=content))
    return turns


def _parse_notes(raw: object) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise _ItemError("notes must be a string")


def _parse_item(raw: dict[str, Any]) -> EvalItem:
    unknown = sorted(str(key) for key in raw if key not in FIELDS)
    if unknown:
        raise _ItemError(f"unknown field {unknown[0]!r}")
    if "id" not in raw or raw["id"] is None:
        raise _ItemError("id is required")
    return EvalItem(
        id=_parse_id(raw["id"]),
        question=_parse_question(raw.get("question")),
        reference=_parse_reference(raw.get("reference")),
        must_include=_parse_must_include(raw.get("must_include")),
        expected_sources=_parse_expected_sources(raw.get("expected_sources")),
        answerable=_parse_answerable(raw.get("answerable")),
        history=_parse_history(raw.get("history")),
        notes=_parse_notes(raw.get("notes")),
        kind=_parse_kind(raw.get("kind")),
        points=_parse_must_include(raw.get("points"), "points"),
        missing=_parse_notes(raw.get("missing")),
    )


def _yaml_items(text: str, name: str) -> list[Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or exc
        raise AssistantError(f"{name}: not valid YAML{where}: {_one_line(problem)}") from exc
    return _top_level(data, name)


def _top_level(data: object, name: str) -> list[Any]:
    if data is None:
        raise AssistantError(f"{name}: the question set is empty")
    if isinstance(data, dict):
        if "questions" not in data:
            raise AssistantError(f"{name}: a mapping at the top level needs a 'questions' key")
        data = data["questions"]
    if not isinstance(data, list):
        raise AssistantError(f"{name}: expected a list of questions")
    return data


def _jsonl_items(text: str, name: str) -> list[Any]:
    items: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise AssistantError(f"{name}: line {number}: not valid JSON: {exc.msg}") from exc
    return items


def _json_items(text: str, name: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _jsonl_items(text, name)
    if isinstance(data, dict) and "questions" not in data:
        return [data]
    return _top_level(data, name)


def load_question_set(path: str | Path) -> list[EvalItem]:
    """Read and validate a question set; raise AssistantError naming the file and item if bad."""
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise AssistantError(
            f"{name}: unsupported question-set format {suffix or '(no suffix)'!r}"
            " (use .yaml, .yml, .jsonl or .json)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise AssistantError(f"{name}: no such question set") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AssistantError(f"{name}: cannot read the question set: {_one_line(exc)}") from exc
    if suffix in (".yaml", ".yml"):
        raw_items = _yaml_items(text, name)
    elif suffix == ".jsonl":
        raw_items = _jsonl_items(text, name)
    else:
        raw_items = _json_items(text, name)
    if not raw_items:
        raise AssistantError(f"{name}: the question set has no questions")

    items: list[EvalItem] = []
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(raw_items, start=1):
        label = f"item {number}"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str | int):
            label += f" ({str(raw['id']).strip()!r})"
        if not isinstance(raw, dict):
            raise AssistantError(f"{name}: {label}: expected a mapping of fields")
        try:
            item = _parse_item(raw)
        except _ItemError as exc:
            raise AssistantError(f"{name}: {label}: {exc}") from None
        if item.id in first_seen:
            raise AssistantError(
                f"{name}: {label}: duplicate id (first used by item {first_seen[item.id]})"
            )
        first_seen[item.id] = number
        items.append(item)
    return items
