"""Scoring one answer: which metrics apply to a question, their values, and why it failed.

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
    ``avna``, ``no_answer_declined`` and ``has_answer_gold``.

Questions whose ``ask`` raises
    The row records the error as a failure and has no latency. Every metric that would apply
    from the item's fields alone scores 0 (so an error never improves an average);
    ``citation_precision`` and ``supported``, which depend on the answer, stay undefined.
"""

from __future__ import annotations

from assistant.evaluation import metrics as m
from assistant.evaluation import retrieval_metrics as rm
from assistant.evaluation.questions import EvalItem
from assistant.types import Answer

ROW_METRICS: tuple[str, ...] = tuple(n for n in m.METRIC_NAMES if not n.startswith("latency_"))
"""The per-question metrics, named as their aggregates (``mrr`` is the reciprocal rank)."""

_QUOTE_PREVIEW = 60


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_PREVIEW else text[: _QUOTE_PREVIEW - 1] + "…"


def score_answer(
    item: EvalItem,
    answer: Answer,
    k: int,
    decline_metrics: bool,
    judge: m.Judge | None = None,
) -> tuple[dict[str, float | None], list[str]]:
    """The item's per-question scores (None where a metric does not apply) and the reasons it
    failed, if it did."""
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
        flagged = report_answer and answer.coverage == "partial"
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


def score_error(item: EvalItem, decline_metrics: bool) -> dict[str, float | None]:
    """The scores of an item whose ``ask`` raised: 0 for every metric its fields make apply."""
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
