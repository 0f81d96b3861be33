"""Running a question set: asking each item, timing it, scoring it, and aggregating the scores.

Which metrics apply to an item
    ``abstention_accuracy``: every item. In a set with at least one unanswerable item, also
    ``avna`` (every item), ``no_answer_declined`` (unanswerable items) and ``has_answer_gold``
    (answerable items with a ``reference``); in other sets these three are not computed. The
    others only to answerable items:
    ``must_include`` when the item has ``must_include``; ``exact_match`` and ``f1`` when it has a
    ``reference`` (both computed on the answer text without ``[n]`` markers); ``hit_at_k``,
    ``recall_at_k``, ``mrr`` and ``citation_recall`` when it has ``expected_sources`` (retrieval
    reads ``Answer.retrieved``; ``mrr`` looks at the whole ranking); ``citation_precision``
    when the answer has citations that can be judged (expected sources, else the judge; an
    unanswerable item's citations are all errors); ``supported`` when the answer did not
    abstain and has sentences.

Declined answers
    An answer counts as declined when it abstained or its ``coverage`` is ``"none"``
    (:func:`~assistant.evaluation.metrics.declined`); that decides ``abstention_accuracy``,
    ``avna``, ``no_answer_declined`` and ``has_answer_gold``. Each row records the answer's
    ``coverage`` (``"full"``, ``"partial"``, ``"none"``; None when the answer has no such field
    or ``ask`` raised).

Questions whose ``ask`` raises
    The row records the error as a failure and has no latency. Every metric that would apply
    from the item's fields alone scores 0 (so an error never improves an average);
    ``citation_precision`` and ``supported``, which depend on the answer, stay undefined.

Aggregates
    Each metric is the mean over the items where it is defined (``None`` when there are none);
    ``latency_p50_ms`` and ``latency_p95_ms`` are percentiles over the calls that returned.
    ``counts`` says over how many items each was computed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.evaluation import metrics as m
from assistant.evaluation import retrieval_metrics as rm
from assistant.evaluation.questions import EvalItem
from assistant.reading import Reader
from assistant.types import Answer, Turn

AskFn = Callable[[str, list[Turn]], Answer]

ROW_METRICS: tuple[str, ...] = tuple(n for n in m.METRIC_NAMES if not n.startswith("latency_"))
"""The per-question metrics, named as their aggregates (``mrr`` is the reciprocal rank)."""

_QUOTE_PREVIEW = 60


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


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_PREVIEW else text[: _QUOTE_PREVIEW - 1] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _score(
    item: EvalItem,
    answer: Answer,
    k: int,
    decline_metrics: bool,
    judge: m.Judge | None = None,
) -> tuple[dict[str, float | None], list[str]]:
    scores: dict[str, float | None] = dict.fromkeys(ROW_METRICS)
    failures: list[str] = []
    _score_decision(item, answer, decline_metrics, scores, failures)
    if not item.answerable:
        if answer.citations:  # whatever they cite, it is not the answer to this question
            scores["citation_precision"] = m.citation_precision(
                answer, item.expected_sources, answerable=False
            )
        return scores, failures
    report_answer = not m.declined(answer)
    _score_text(item, answer, report_answer, scores, failures)
    if item.expected_sources:
        _score_sources(item, answer, k, report_answer, scores, failures)
    scores["citation_precision"] = m.citation_precision(
        answer, item.expected_sources, question=item.question, judge=judge
    )
    if report_answer and not item.expected_sources and judge is not None:
        failures.extend(
            f"citation [{c.n}] does not answer the question (reader)"
            for c in answer.citations
            if m.citation_is_precise(c, item.expected_sources, question=item.question, judge=judge)
            is False
        )
    if not answer.abstained:
        scores["supported"] = m.supported_share(answer)
        unsupported = [s for s in answer.sentences if s.status != "supported"]
        if unsupported:
            failures.append(
                f"supported: {len(unsupported)} of {len(answer.sentences)} sentences"
                " not supported by their citations"
            )
    return scores, failures


def _score_decision(
    item: EvalItem,
    answer: Answer,
    decline_metrics: bool,
    scores: dict[str, float | None],
    failures: list[str],
) -> None:
    """Whether the answer declined exactly when it should have (and the SQuAD 2.0 trio)."""
    correct = m.abstention_correct(answer, item.answerable)
    scores["abstention_accuracy"] = float(correct)
    if decline_metrics:
        scores["avna"] = float(correct)
        if not item.answerable:
            scores["no_answer_declined"] = float(m.declined(answer))
        elif item.reference is not None:
            scores["has_answer_gold"] = float(m.has_answer_gold(answer, item.reference))
    if not correct:
        failures.append(
            "abstained on an answerable question"
            if item.answerable
            else "answered an unanswerable question"
        )


def _score_text(
    item: EvalItem,
    answer: Answer,
    report_answer: bool,
    scores: dict[str, float | None],
    failures: list[str],
) -> None:
    """What the answer's text says: points, the partial flag, must-include groups, the reference."""
    text = m.strip_citation_markers(answer.text)
    if item.points:
        covered = m.points_covered(text, item.points) if report_answer else 0.0
        scores["points_covered"] = covered
        if report_answer and covered < 1.0:
            failures.append(
                f"points: {len(m.missing_groups(text, item.points))} of {len(item.points)} missing"
            )
    if item.kind == "partial":
        flagged = report_answer and getattr(answer, "coverage", None) == "partial"
        scores["partial_flagged"] = float(flagged)
        if report_answer and not flagged:
            failures.append("partial: the answer did not say which part the sources don't answer")
    if item.must_include:
        missing = m.missing_groups(text, item.must_include)
        scores["must_include"] = float(not missing)
        if report_answer:
            failures.extend(f"must_include: missing one of {group!r}" for group in missing)
    if item.reference is not None:
        scores["exact_match"] = m.exact_match(text, item.reference)
        scores["f1"] = m.token_f1(text, item.reference)


def _score_sources(
    item: EvalItem,
    answer: Answer,
    k: int,
    report_answer: bool,
    scores: dict[str, float | None],
    failures: list[str],
) -> None:
    """Whether retrieval found the item's expected sources, and whether the citations hold them."""
    expected = item.expected_sources
    found = rm.sources_found(answer.retrieved, expected, k)
    scores["hit_at_k"] = float(any(found))
    scores["recall_at_k"] = sum(found) / len(found)
    scores["mrr"] = rm.reciprocal_rank(answer.retrieved, expected)
    failures.extend(
        f"retrieval: expected source not in top {k} "
        f"(document {source.document!r}, quote {_preview(source.quote)!r})"
        for source, ok in zip(expected, found, strict=True)
        if not ok
    )
    scores["citation_recall"] = m.citation_recall(answer, expected)
    if report_answer:
        failures.extend(
            f"citation [{c.n}] does not contain an expected quote"
            for c in answer.citations
            if not m.citation_is_precise(c, expected)
        )
        failures.extend(
            f"citations: no cited passage contains the expected quote "
            f"{_preview(source.quote)!r} ({source.document})"
            for source in expected
            if not any(m.source_in_citation(c, source) for c in answer.citations)
        )


def _score_error(item: EvalItem, decline_metrics: bool) -> dict[str, float | None]:
    scores: dict[str, float | None] = dict.fromkeys(ROW_METRICS)
    scores["abstention_accuracy"] = 0.0
    if decline_metrics:
        scores["avna"] = 0.0
        if not item.answerable:
            scores["no_answer_declined"] = 0.0
        elif item.reference is not None:
            scores["has_answer_gold"] = 0.0
    if item.answerable:
        if item.points:
            scores["points_covered"] = 0.0
        if item.kind == "partial":
            scores["partial_flagged"] = 0.0
        if item.must_include:
            scores["must_include"] = 0.0
        if item.reference is not None:
            scores["exact_match"] = scores["f1"] = 0.0
        if item.expected_sources:
            for name in ("hit_at_k", "recall_at_k", "mrr", "citation_recall"):
                scores[name] = 0.0
    return scores


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
            metrics=_score_error(item, decline_metrics),
            latency_ms=None,
            failures=[f"error: {message}"],
            error=message,
            notes=item.notes,
            kind=item.kind,
        )
    latency_ms = (time.perf_counter() - started) * 1000.0
    scores, failures = _score(item, answer, k, decline_metrics, judge)
    coverage = getattr(answer, "coverage", None)
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
    console = Console(stderr=True)
    show = progress and console.is_terminal and sys.stderr.isatty()
    rows: list[QuestionResult] = []
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as bar:
        task = bar.add_task("Evaluating", total=len(items))
        for item in items:
            bar.update(task, description=f"Evaluating {item.id}")
            rows.append(evaluate_item(item, ask, k, decline_metrics=decline_metrics, judge=judge))
            bar.advance(task)
    metrics, counts = aggregate(rows)
    return EvalRun(rows=rows, metrics=metrics, counts=counts, k=k)
