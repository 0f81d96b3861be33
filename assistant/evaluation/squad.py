"""SQuAD v1.1 and v2.0 import: contexts become documents, questions become evaluation items.

Format (the official JSON, both versions): ``{"version", "data": [{"title", "paragraphs":
[{"context", "qas": [{"id", "question", "answers": [{"text", "answer_start"}],
"is_impossible"}]}]}]}``. ``is_impossible`` (v2.0 only, default false) marks a question the
context does not answer; its ``answers`` are empty and its ``plausible_answers`` are ignored.

Each context becomes one text document ``squad-<n>-<title slug>.txt`` of a temporary knowledge
base (``n`` numbers the file's contexts in file order; indexed with the configured embedder,
chunked like any document). Each answerable question becomes an
:class:`~assistant.evaluation.questions.EvalItem` with

- ``reference``: every gold answer text (exact match and F1 take the best one, as SQuAD does;
  ``has_answer_gold`` looks for any of them in the answer);
- ``must_include``: one group holding the gold answers (the answer contains a gold answer);
- ``expected_sources``: the question's own document with the first gold answer found in the
  context as the quote (``hit_at_k``: a retrieved passage of the right context holds the answer).

Each ``is_impossible`` question becomes an item with ``answerable=False`` and no reference,
``must_include`` or expected sources: the right behaviour is to decline (``no_answer_declined``,
``avna``, ``abstention_accuracy``).

Selection (all optional; items keep file order):

- ``articles``: a range such as ``1-8``, ``3`` or ``1,4-6`` of 1-based numbers over the file's
  articles sorted by title (Python string order, ties in file order); only those articles are
  read, and *every* context of a selected article is indexed, so the assistant searches whole
  articles.
- ``sample`` N with ``seed`` S: N questions drawn by ``random.Random(S)`` from the selected
  articles, stratified: ``round(N * U / T)`` unanswerable (halves up; U unanswerable of T
  questions) and the rest answerable, each drawn with ``Random.sample``. Again every context of
  the selected articles is indexed.
- ``limit`` N: the first N questions of the selected articles. Alone (no ``articles``, no
  ``sample``) only the contexts of the questions kept are indexed, as before; with ``articles``
  every context of the selected articles is. It cannot be combined with ``sample``.

The assistant answers with whole cited sentences, not spans, so exact match is expected to be
near 0 and F1 well below a span extractor's: the numbers measure our answers against SQuAD's
spans, they are not comparable to the SQuAD leaderboard.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    """The documents (file name, text), the items asked about them, and the articles read.

    ``articles``: the titles of the selected articles, in title order (all of the file's when
    nothing was selected).
    """

    documents: list[tuple[str, str]]
    items: list[EvalItem]
    articles: list[str] = field(default_factory=list)

    @property
    def n_unanswerable(self) -> int:
        return sum(not item.answerable for item in self.items)


class SquadSelectionError(AssistantError):
    """A bad ``--articles``, ``--sample`` or ``--limit`` value; ``option`` names the option."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass
class _Article:
    position: int  # 1-based, in file order
    title: str
    contexts: list[tuple[str, str]]  # (document name, context)
    items: list[tuple[EvalItem, int]]  # (item, index into contexts)


_PART = re.compile(r"^(\d+)(?:\s*-\s*(\d+))?$")


def parse_article_range(spec: str, count: int | None = None) -> list[int]:
    """The 1-based article numbers of ``spec`` (``1-8``, ``3``, ``1,4-6``), sorted, no repeats.

    With ``count``, every number must be at most ``count``. Raises :class:`SquadSelectionError`.
    """
    numbers: set[int] = set()
    parts = [part.strip() for part in spec.split(",")]
    if not spec.strip() or any(not part for part in parts):
        raise SquadSelectionError("--articles", f"{spec!r}: expected a range such as 1-8 or 1,4-6")
    for part in parts:
        match = _PART.match(part)
        if match is None:
            raise SquadSelectionError(
                "--articles", f"{part!r} is not a number or a range such as 1-8"
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if low < 1:
            raise SquadSelectionError("--articles", f"{part!r}: article numbers start at 1")
        if high < low:
            raise SquadSelectionError("--articles", f"{part!r}: the range runs backwards")
        if count is not None and high > count:
            raise SquadSelectionError(
                "--articles", f"{part!r}: the file has only {count} article{'s' * (count != 1)}"
            )
        numbers.update(range(low, high + 1))
    return sorted(numbers)


def _fail(path: Path, where: str, problem: str) -> AssistantError:
    return AssistantError(f"{path}: {where}: {problem}")


def _read(path: Path) -> list[Any]:
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
    return data["data"]


def _parse(path: Path, raw_articles: list[Any]) -> list[_Article]:
    articles: list[_Article] = []
    seen: set[str] = set()
    n_contexts = 0
    for a, raw in enumerate(raw_articles, start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("paragraphs"), list):
            raise _fail(path, f"article {a}", "expected a mapping with a 'paragraphs' list")
        article = _Article(a, str(raw.get("title") or f"article-{a}"), [], [])
        for p, paragraph in enumerate(raw["paragraphs"], start=1):
            where = f"article {a} paragraph {p}"
            context = paragraph.get("context") if isinstance(paragraph, dict) else None
            if not isinstance(context, str) or not context.strip():
                raise _fail(path, where, "needs a non-empty 'context'")
            n_contexts += 1
            name = f"squad-{n_contexts:04d}-{slugify(article.title, 30)}.txt"
            for qa in paragraph.get("qas") or []:
                item = _item(path, where, qa, name, context)
                if item.id in seen:
                    raise _fail(path, where, f"duplicate question id {item.id!r}")
                seen.add(item.id)
                article.items.append((item, len(article.contexts)))
            article.contexts.append((name, context))
        articles.append(article)
    return articles


def _stratified_sample(items: list[EvalItem], n: int, seed: int) -> list[EvalItem]:
    if n > len(items):
        raise SquadSelectionError(
            "--sample", f"{n}: the selected articles have only {len(items)} questions"
        )
    answerable = [item for item in items if item.answerable]
    unanswerable = [item for item in items if not item.answerable]
    n_unanswerable = min((2 * n * len(unanswerable) + len(items)) // (2 * len(items)), n)
    n_unanswerable = max(min(n_unanswerable, len(unanswerable)), n - len(answerable))
    rng = random.Random(seed)
    chosen = {id(item) for item in rng.sample(answerable, n - n_unanswerable)}
    chosen |= {id(item) for item in rng.sample(unanswerable, n_unanswerable)}
    return [item for item in items if id(item) in chosen]


def load_squad(
    path: str | Path,
    *,
    limit: int | None = None,
    articles: str | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> SquadDataset:
    """Read a SQuAD v1.1 or v2.0 file, optionally a selection of it (see the module docstring).

    Raises :class:`~assistant.errors.AssistantError` naming the file and place for a bad file,
    :class:`SquadSelectionError` for a bad selection.
    """
    path = Path(path)
    if sample is not None and limit is not None:
        raise SquadSelectionError("--sample", "use --sample or --limit, not both")
    if sample is not None and sample < 1:
        raise SquadSelectionError("--sample", f"{sample}: give at least 1")
    if articles is not None:
        parse_article_range(articles)  # the syntax, before reading the file
    parsed = _parse(path, _read(path))
    by_title = sorted(parsed, key=lambda article: article.title)
    selected = by_title
    if articles is not None:
        numbers = parse_article_range(articles, len(by_title))
        selected = [by_title[n - 1] for n in numbers]
    titles = [article.title for article in selected]
    selected = sorted(selected, key=lambda article: article.position)
    pairs = [(item, (article, i)) for article in selected for item, i in article.items]
    items = [item for item, _ in pairs]
    if not items:
        raise AssistantError(
            f"{path}: no questions with answers or marked is_impossible"
            + (f" in articles {articles}" if articles is not None else "")
        )
    if sample is not None:
        items = _stratified_sample(items, sample, seed)
    elif limit is not None:
        items = items[:limit]
    if limit is not None and articles is None:
        kept = {id(item) for item in items}
        used = {(id(article), i) for item, (article, i) in pairs if id(item) in kept}
        documents = [
            doc
            for article in selected
            for i, doc in enumerate(article.contexts)
            if (id(article), i) in used
        ]
    else:
        documents = [doc for article in selected for doc in article.contexts]
    return SquadDataset(documents, items, titles)


def _item(path: Path, where: str, qa: object, name: str, context: str) -> EvalItem:
    if not isinstance(qa, dict):
        raise _fail(path, where, "each of 'qas' must be a mapping")
    qid, question, answers = qa.get("id"), qa.get("question"), qa.get("answers")
    if not isinstance(qid, str | int) or not isinstance(question, str) or not question.strip():
        raise _fail(path, where, "each question needs an 'id' and a non-empty 'question'")
    impossible = qa.get("is_impossible", False)
    if not isinstance(impossible, bool):
        raise _fail(path, where, f"question {qid!r}: is_impossible must be true or false")
    if impossible:
        return EvalItem(id=str(qid), question=question.strip(), answerable=False)
    texts = [
        a["text"].strip()
        for a in answers or []
        if isinstance(a, dict) and isinstance(a.get("text"), str) and a["text"].strip()
    ]
    if not texts:
        raise _fail(path, where, f"question {qid!r} has no answers and is not marked is_impossible")
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
            reader_override=base.reader_override,
        )
        report = runtime.knowledge.ingest_bytes(
            [(name, text.encode("utf-8")) for name, text in dataset.documents]
        )
        rejected = [r for r in report.results if r.status == "rejected"]
        if rejected:
            raise AssistantError(f"context {rejected[0].name} was rejected: {rejected[0].reason}")
        yield runtime
