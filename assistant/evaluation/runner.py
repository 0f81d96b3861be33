"""Running a question set: asking each item, timing it, scoring it, and aggregating the scores.

Which metrics apply to an item, and how a declined answer or an error scores, is said in
:mod:`assistant.evaluation.scoring`. Each row records the answer's ``coverage`` (``"full"``,
``"partial"``, ``"none"``; None when the answer has no such field or ``ask`` raised).

Aggregates
    Each metric is the mean over the items where it is defined (``None`` when there are none);
    ``latency_p50_ms`` and ``latency_p95_ms`` are percentiles over the calls that returned.
    ``counts`` says over how many items each was computed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.evaluation import metrics as m
from assistant.evaluation.questions import EvalItem
from assistant.evaluation.scoring import ROW_METRICS, score_answer, score_error
from assistant.reading import Reader
from assistant.types import Answer, Turn

AskFn = Callable[[str, list[Turn]], Answer]


@dataclass
class QuestionResult:
    """One row of a run: the question, what came back, its scores, and why it failed if it did."""

    id: str
    question: str
    answer: str
    abstained: bool
    answerable: bool
    metrics: dict[str, float | None]
    latency_ms: float | None
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    notes: str | None = None
    coverage: str | None = None
    kind: str = "factoid"

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "coverage": self.coverage,
            "answerable": self.answerable,
            "kind": self.kind,
        }
        row.update({name: self.metrics.get(name) for name in ROW_METRICS})
        row.update(
            {
                "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
                "passed": self.passed,
                "failures": list(self.failures),
                "error": self.error,
                "citations": self.citations,
                "retrieved": self.retrieved,
                "notes": self.notes,
            }
        )
        return row


@dataclass
class EvalRun:
    """A finished run: one row per question, the aggregate metrics, and their counts."""

    rows: list[QuestionResult]
    metrics: dict[str, float | None]
    counts: dict[str, int]
    k: int

    @property
    def n_questions(self) -> int:
        return len(self.rows)

    @property
    def failing(self) -> list[QuestionResult]:
        return [row for row in self.rows if not row.passed]

    def metrics_json(self) -> dict[str, Any]:
        """The aggregates as results.json stores them, with ``n_questions``."""
        out: dict[str, Any] = {name: self.metrics.get(name) for name in m.METRIC_NAMES}
        out["n_questions"] = self.n_questions
        return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def evaluate_item(
    item: EvalItem,
    ask: AskFn,
    k: int,
    *,
    decline_metrics: bool = False,
    judge: m.Judge | None = None,
) -> QuestionResult:
    """Ask one item and score it; an exception from ``ask`` becomes a failed row.

    ``decline_metrics``: also score ``avna``, ``no_answer_declined`` and ``has_answer_gold``
    (:func:`run_eval` sets it when the set has an unanswerable item). ``judge`` scores the
    citations of answerable items without expected sources (see ``metrics.citation_precision``).
    """
    started = time.perf_counter()
    try:
        answer = ask(item.question, list(item.history))
    except Exception as exc:
        message = _one_line(f"{type(exc).__name__}: {exc}")
        return QuestionResult(
            id=item.id,
            question=item.question,
            answer="",
            abstained=False,
            answerable=item.answerable,
            metrics=score_error(item, decline_metrics),
            latency_ms=None,
            failures=[f"error: {message}"],
            error=message,
            notes=item.notes,
            kind=item.kind,
        )
    latency_ms = (time.perf_counter() - started) * 1000.0
    scores, failures = score_answer(item, answer, k, decline_metrics, judge)
    coverage = answer.coverage
    return QuestionResult(
        id=item.id,
        question=item.question,
        answer=answer.text,
        abstained=answer.abstained,
        answerable=item.answerable,
        metrics=scores,
        latency_ms=latency_ms,
        failures=failures,
        citations=[
            {"n": c.n, "document_id": c.document_id, "location": c.location, "quote": c.quote}
            for c in answer.citations
        ],
        retrieved=[hit.chunk.chunk_id for hit in answer.retrieved[:k]],
        notes=item.notes,
        coverage=coverage if isinstance(coverage, str) else None,
        kind=item.kind,
    )


def aggregate(rows: Sequence[QuestionResult]) -> tuple[dict[str, float | None], dict[str, int]]:
    """The mean of each per-question metric where defined, the latency percentiles, and counts."""
    metrics: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for name in ROW_METRICS:
        values = [v for v in (row.metrics.get(name) for row in rows) if v is not None]
        metrics[name] = m.mean(values)
        counts[name] = len(values)
    latencies = [row.latency_ms for row in rows if row.latency_ms is not None]
    for name, p in (("latency_p50_ms", 50.0), ("latency_p95_ms", 95.0)):
        metrics[name] = m.percentile(latencies, p) if latencies else None
        counts[name] = len(latencies)
    return metrics, counts


def reader_judge(reader: Reader, threshold: float) -> m.Judge:
    """A citation judge: the reader's probability that the text answers, at least ``threshold``."""

    def judge(question: str, text: str) -> bool:
        return bool(reader.answers(question, [text])[0] >= threshold)

    return judge


@contextmanager
def progress_bar(
    description: str, *, quiet: bool, total: int | None = None
) -> Iterator[tuple[Progress, Any]]:
    """A transient progress bar on stderr (off when `quiet` or not a terminal): (bar, task)."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    ) as bar:
        yield bar, bar.add_task(description, total=total)


def run_eval(
    items: Sequence[EvalItem],
    ask: AskFn,
    *,
    k: int,
    progress: bool = True,
    judge: m.Judge | None = None,
) -> EvalRun:
    """Ask every item (with its history), score each answer, and aggregate the scores.

    The answer-versus-decline metrics are scored when at least one item is unanswerable.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    decline_metrics = any(not item.answerable for item in items)
    rows: list[QuestionResult] = []
    quiet = not (progress and sys.stderr.isatty())
    with progress_bar("Evaluating", quiet=quiet, total=len(items)) as (bar, task):
        for item in items:
            bar.update(task, description=f"Evaluating {item.id}")
            rows.append(evaluate_item(item, ask, k, decline_metrics=decline_metrics, judge=judge))
            bar.advance(task)
    metrics, counts = aggregate(rows)
    return EvalRun(rows=rows, metrics=metrics, counts=counts, k=k)
