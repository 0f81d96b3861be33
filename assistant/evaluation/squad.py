"""SQuAD v1.1 import: contexts become documents, questions become evaluation items.

Format (the official v1.1 JSON): ``{"version", "data": [{"title", "paragraphs": [{"context",
"qas": [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}``.

Each context becomes one text document ``squad-<n>-<title slug>.txt`` of a temporary knowledge
base (indexed with the configured embedder, chunked like any document). Each question becomes an
:class:`~assistant.evaluation.questions.EvalItem` with

- ``reference``: every gold answer text (exact match and F1 take the best one, as SQuAD does);
- ``must_include``: one group holding the gold answers (the answer contains a gold answer);
- ``expected_sources``: the question's own document with the first gold answer as the quote
  (``hit_at_k``: a retrieved passage of the right context holds the answer).

The assistant answers with whole cited sentences, not spans, so exact match is expected to be
near 0 and F1 well below a span extractor's: the numbers measure our answers against SQuAD's
spans, they are not comparable to the SQuAD leaderboard. With ``--limit`` only the contexts of
the questions kept are indexed.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.metrics import ExpectedSource
from assistant.evaluation.questions import EvalItem
from assistant.knowledge import slugify
from assistant.runtime import Runtime


@dataclass
class SquadDataset:
    """The documents (file name, text) and the items asked about them."""

    documents: list[tuple[str, str]]
    items: list[EvalItem]


def _fail(path: Path, where: str, problem: str) -> AssistantError:
    return AssistantError(f"{path}: {where}: {problem}")


def load_squad(path: str | Path, *, limit: int | None = None) -> SquadDataset:
    """Read a SQuAD v1.1 file; with ``limit``, only the first questions and their contexts."""
    path = Path(path)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AssistantError(f"{path}: no such SQuAD file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AssistantError(f"{path}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise AssistantError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise AssistantError(f"{path}: not a SQuAD file (no 'data' list)")
    documents: list[tuple[str, str]] = []
    items: list[EvalItem] = []
    seen: set[str] = set()
    for a, article in enumerate(data["data"], start=1):
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            raise _fail(path, f"article {a}", "expected a mapping with a 'paragraphs' list")
        title = str(article.get("title") or f"article-{a}")
        for p, paragraph in enumerate(article["paragraphs"], start=1):
            where = f"article {a} paragraph {p}"
            context = paragraph.get("context") if isinstance(paragraph, dict) else None
            if not isinstance(context, str) or not context.strip():
                raise _fail(path, where, "needs a non-empty 'context'")
            name = f"squad-{len(documents) + 1:04d}-{slugify(title, 30)}.txt"
            used = False
            for qa in paragraph.get("qas") or []:
                if limit is not None and len(items) >= limit:
                    break
                item = _item(path, where, qa, name, context)
                if item.id in seen:
                    raise _fail(path, where, f"duplicate question id {item.id!r}")
                seen.add(item.id)
                items.append(item)
                used = True
            if used or limit is None:
                documents.append((name, context))
    if not items:
        raise AssistantError(f"{path}: no questions with answers")
    return SquadDataset(documents, items)


def _item(path: Path, where: str, qa: object, name: str, context: str) -> EvalItem:
    if not isinstance(qa, dict):
        raise _fail(path, where, "each of 'qas' must be a mapping")
    qid, question, answers = qa.get("id"), qa.get("question"), qa.get("answers")
    if not isinstance(qid, str | int) or not isinstance(question, str) or not question.strip():
        raise _fail(path, where, "each question needs an 'id' and a non-empty 'question'")
    texts = [
        a["text"].strip()
        for a in answers or []
        if isinstance(a, dict) and isinstance(a.get("text"), str) and a["text"].strip()
    ]
    if not texts:
        raise _fail(path, where, f"question {qid!r} has no answers (SQuAD v1.1 needs them)")
    unique = list(dict.fromkeys(texts))
    quote = next((t for t in unique if t in context), unique[0])
    return EvalItem(
        id=str(qid),
        question=question.strip(),
        reference=unique,
        must_include=[unique],
        expected_sources=[ExpectedSource(document=name, quote=quote)],
        answerable=True,
    )


@contextmanager
def squad_runtime(settings: Settings, base: Runtime, dataset: SquadDataset) -> Iterator[Runtime]:
    """A runtime over a temporary knowledge base holding the dataset's contexts.

    It shares the base runtime's embedder and answerer choice (an override is reused), and its
    settings apart from the data directory and collection.
    """
    with tempfile.TemporaryDirectory(prefix="assistant-squad-") as tmp:
        runtime = Runtime(
            settings.model_copy(
                update={"data_dir": Path(tmp), "chroma_url": None, "collection": "squad"}
            ),
            embedder_override=base.embedder,
            answerer_override=base.answerer_override,
        )
        report = runtime.knowledge.ingest_bytes(
            [(name, text.encode("utf-8")) for name, text in dataset.documents]
        )
        rejected = [r for r in report.results if r.status == "rejected"]
        if rejected:
            raise AssistantError(f"context {rejected[0].name} was rejected: {rejected[0].reason}")
        yield runtime
