"""Verification sets: sentences an LLM might write, each with the passage it cites and a label.

The file format (YAML)::

    description: "..."
    documents:
      - {id: t01, title: "...", text: "a passage"}
    pairs:
      - {id: t01-p01, document: t01, claim: "one sentence", label: faithful | wrong,
         kind: paraphrase, notes: "..."}

Each pair is checked as the assistant checks an LLM sentence citing ``[1]``
(:func:`assistant.citations.check_sentence`, with the reader). Reported:

- ``faithful_accepted``: share of faithful pairs marked ``supported`` (should be high);
- ``wrong_supported``: share of wrong pairs marked ``supported`` (shown to a user as checked:
  should be low);
- ``wrong_contradicted``: share of wrong pairs marked ``contradicted``;
- the same per ``kind``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.citations import CheckedSentence, check_sentence
from assistant.errors import AssistantError
from assistant.index.embedder import Embedder
from assistant.reading import Reader
from assistant.types import Chunk

LABELS = ("faithful", "wrong")


@dataclass(frozen=True)
class VerificationPair:
    id: str
    document: str
    title: str
    passage: str
    claim: str
    label: str
    kind: str


def load_verification_set(path: str | Path) -> list[VerificationPair]:
    """Read and validate a verification set; one-line AssistantError naming the file if bad."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssistantError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise AssistantError(f"{path}: cannot read: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise AssistantError(f"{path}: expected a mapping with 'documents' and 'pairs' lists")
    docs: dict[str, tuple[str, str]] = {}
    for n, doc in enumerate(data["documents"], start=1):
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            raise AssistantError(f"{path}: document {n} needs an id and a text")
        docs[str(doc.get("id"))] = (str(doc.get("title") or doc.get("id")), doc["text"])
    pairs: list[VerificationPair] = []
    seen: set[str] = set()
    for n, pair in enumerate(data.get("pairs") or [], start=1):
        if not isinstance(pair, dict):
            raise AssistantError(f"{path}: pair {n} is not a mapping")
        pid = str(pair.get("id", n))
        if pid in seen:
            raise AssistantError(f"{path}: pair {n} ({pid!r}): duplicate id")
        seen.add(pid)
        document = str(pair.get("document"))
        if document not in docs:
            raise AssistantError(f"{path}: pair {n} ({pid!r}): unknown document {document!r}")
        if pair.get("label") not in LABELS:
            raise AssistantError(f"{path}: pair {n} ({pid!r}): label must be faithful or wrong")
        claim = pair.get("claim")
        if not isinstance(claim, str) or not claim.strip():
            raise AssistantError(f"{path}: pair {n} ({pid!r}): claim must be a non-empty string")
        title, text = docs[document]
        pairs.append(
            VerificationPair(
                pid, document, title, text, claim.strip(), pair["label"], str(pair.get("kind", ""))
            )
        )
    if not pairs:
        raise AssistantError(f"{path}: no pairs")
    return pairs


def as_chunk(pair: VerificationPair) -> Chunk:
    """The pair's passage as the one cited chunk."""
    return Chunk(
        f"{pair.document}-0",
        pair.document,
        pair.title,
        f"{pair.document}.txt",
        pair.passage,
        0,
        len(pair.passage),
        1,
        1,
    )


def check_pair(
    pair: VerificationPair,
    embedder: Embedder,
    reader: Reader | None,
    *,
    min_entailed: float,
    min_contradicted: float,
) -> CheckedSentence:
    """The pair's claim checked as the assistant checks a sentence citing its passage as [1]."""
    return check_sentence(
        pair.claim,
        (1,),
        {1: as_chunk(pair)},
        embedder,
        reader=reader,
        min_entailed=min_entailed,
        min_contradicted=min_contradicted,
    )


Checker = Callable[[VerificationPair], tuple[str, str]]
"""Returns (status, reason) for a pair: status is supported, contradicted or unsupported."""


def run_verification(pairs: list[VerificationPair], check: Checker) -> dict[str, Any]:
    """Check every pair; the overall shares, the shares per kind, and every row."""
    rows: list[dict[str, Any]] = []
    for pair in pairs:
        status, reason = check(pair)
        rows.append(
            {
                "id": pair.id,
                "label": pair.label,
                "kind": pair.kind,
                "claim": pair.claim,
                "status": status,
                "reason": reason,
            }
        )
    return {"metrics": _shares(rows), "by_kind": _by_kind(rows), "rows": rows}


def _shares(rows: list[dict[str, Any]]) -> dict[str, Any]:
    faithful = [r for r in rows if r["label"] == "faithful"]
    wrong = [r for r in rows if r["label"] == "wrong"]

    def share(group: list[dict[str, Any]], status: str) -> float | None:
        return round(sum(r["status"] == status for r in group) / len(group), 4) if group else None

    return {
        "faithful_accepted": share(faithful, "supported"),
        "wrong_supported": share(wrong, "supported"),
        "wrong_contradicted": share(wrong, "contradicted"),
        "n_faithful": len(faithful),
        "n_wrong": len(wrong),
    }


def _by_kind(rows: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["label"], row["kind"])].append(row)
    out: dict[str, Any] = {}
    for (label, kind), group in sorted(groups.items()):
        supported = sum(r["status"] == "supported" for r in group)
        out[f"{label}/{kind}"] = {"n": len(group), "supported": supported}
    return out
