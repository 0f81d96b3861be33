"""Our hand-written ranking metrics (nDCG@k, recall@k, MRR@k in
assistant/evaluation/retrieval_metrics.py, and their averaging in assistant/evaluation/beir.py)
against trec_eval itself, through pytrec-eval-terrier, on the same qrels and runs: they must
agree to 1e-6.

How a ranking is handed to trec_eval: our functions take an *order* of ids, trec_eval takes
*scores* and sorts them itself (score descending, then document id descending on ties). Each run
is given to trec_eval with strictly decreasing scores in our order, so both read one ranking; the
one place where the conventions differ (tied scores) has its own test below. MRR@k is trec_eval's
``recip_rank`` on the run cut to its first k documents (trec_eval has no ``recip_rank_cut``).

No SciFact rankings are stored under eval/results (``scifact.json`` keeps only the averaged
figures), so there is no committed run to re-score here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
import pytrec_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.evaluation import retrieval_metrics as rm
from assistant.evaluation.beir import score_rankings

CUTOFFS = (1, 3, 5, 10)
TOLERANCE = 1e-6

# Graded relevance (0-3, and a -1 as some qrels files carry), ties between grades, judged
# non-relevant documents, unjudged documents in the runs, a query with no relevant document, one
# whose relevant documents are never retrieved, one found only after rank 10, more relevant
# documents than the cut-off, and repeated ids in a ranking.
QRELS: dict[str, dict[str, int]] = {
    "graded": {"d1": 2, "d2": 1, "d3": 0, "d4": 1, "d5": 3},
    "tied-grades": {"d1": 3, "d2": 3, "d3": 3, "d4": 1, "d5": 1, "d6": 2},
    "no-relevant": {"d1": 0, "d2": 0},
    "never-retrieved": {"d8": 1, "d9": 2},
    "late": {"d12": 1},
    "negative-grade": {"d1": -1, "d2": 2, "d3": 1},
    "many-relevant": {f"d{i}": 1 + i % 3 for i in range(1, 16)},
    "repeats": {"d2": 1, "d3": 2},
}
RUN: dict[str, list[str]] = {
    "graded": ["d3", "d5", "x1", "d2", "d1", "x2", "d4"],
    "tied-grades": ["d6", "x1", "d2", "d4", "d1", "x2", "x3", "d3", "d5"],
    "no-relevant": ["d1", "d2", "x1"],
    "never-retrieved": ["x1", "x2", "x3"],
    "late": [f"x{i}" for i in range(1, 12)] + ["d12"],
    "negative-grade": ["d1", "d3", "x1", "d2"],
    "many-relevant": [f"d{i}" for i in range(15, 0, -1)],
    "repeats": ["x1", "x1", "d3", "x1", "d3", "d2"],
}


def _order_as_scores(ranked_ids: Sequence[str], k: int | None = None) -> dict[str, float]:
    """A ranking as trec_eval reads one: strictly decreasing scores in the given order (the
    first occurrence of a repeated id counts, as in our metrics), cut to k documents if given."""
    unique = list(dict.fromkeys(ranked_ids))
    if k is not None:
        unique = unique[:k]
    return {doc_id: float(len(unique) - rank) for rank, doc_id in enumerate(unique)}


def trec_eval_scores(
    qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, float]]:
    """Per query, trec_eval's ndcg_cut_k, recall_k and (on the run cut to k) recip_rank@k for
    every k of CUTOFFS, under our metric names."""
    judged = {q: dict(grades) for q, grades in qrels.items()}
    cuts = ",".join(map(str, CUTOFFS))
    full = pytrec_eval.RelevanceEvaluator(judged, {f"ndcg_cut.{cuts}", f"recall.{cuts}"})
    scores = full.evaluate({q: _order_as_scores(r) for q, r in run.items()})
    out: dict[str, dict[str, float]] = {}
    for qid, values in scores.items():
        out[qid] = {}
        for k in CUTOFFS:
            out[qid][f"ndcg_at_{k}"] = values[f"ndcg_cut_{k}"]
            out[qid][f"recall_at_{k}"] = values[f"recall_{k}"]
    rr = pytrec_eval.RelevanceEvaluator(judged, {"recip_rank"})
    for k in CUTOFFS:
        cut = rr.evaluate({q: _order_as_scores(r, k) for q, r in run.items()})
        for qid, values in cut.items():
            out[qid][f"mrr_at_{k}"] = values["recip_rank"]
    return out


def our_scores(ranked_ids: Sequence[str], grades: Mapping[str, int]) -> dict[str, float]:
    """Our metrics of one ranking, under the same names as :func:`trec_eval_scores`."""
    out: dict[str, float] = {}
    for k in CUTOFFS:
        out[f"ndcg_at_{k}"] = rm.ndcg_at_k(ranked_ids, grades, k)
        out[f"recall_at_{k}"] = rm.recall_at_k_ids(ranked_ids, grades, k)
        out[f"mrr_at_{k}"] = rm.mrr_at_k_ids(ranked_ids, grades, k)
    return out


def assert_agree(
    qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, float]]:
    """Every metric of every query equal to trec_eval's within TOLERANCE; returns trec_eval's."""
    reference = trec_eval_scores(qrels, run)
    assert set(reference) == {q for q in qrels if run.get(q)}
    for qid, expected in reference.items():
        ours = our_scores(run[qid], qrels[qid])
        assert ours == pytest.approx(expected, abs=TOLERANCE, rel=0), qid
    return reference


def test_fixed_run_agrees_with_trec_eval_per_query() -> None:
    reference = assert_agree(QRELS, RUN)
    # the cases are what they claim to be (trec_eval's own figures)
    assert reference["no-relevant"]["ndcg_at_10"] == 0.0
    assert reference["no-relevant"]["recall_at_10"] == 0.0
    assert reference["no-relevant"]["mrr_at_10"] == 0.0
    assert reference["never-retrieved"]["recall_at_10"] == 0.0
    assert reference["late"]["mrr_at_10"] == 0.0 and reference["late"]["recall_at_10"] == 0.0
    assert 0.0 < reference["graded"]["ndcg_at_3"] < reference["graded"]["ndcg_at_10"] < 1.0
    assert reference["many-relevant"]["recall_at_10"] == pytest.approx(10 / 15)
    assert reference["repeats"]["mrr_at_1"] == 0.0 and reference["repeats"]["mrr_at_3"] == 0.5


def test_averages_agree_with_trec_eval() -> None:
    """score_rankings (the BEIR figures) is the mean over every judged query of the per-query
    figures; a judged query without a ranking counts as 0 (as ``trec_eval -c`` counts it). BEIR's
    own averaging, over pytrec_eval's output, leaves such a query out instead: the two agree
    whenever every judged query is ranked, as in every run of ours."""
    qrels = {q: QRELS[q] for q in ("graded", "tied-grades", "no-relevant", "late")}
    rankings = {q: RUN[q] for q in qrels}
    reference = trec_eval_scores(qrels, rankings)
    averaged = score_rankings(rankings, qrels)
    for ours, theirs in (
        ("ndcg_at_10", "ndcg_at_10"),
        ("recall_at_10", "recall_at_10"),
        ("mrr_at_10", "mrr_at_10"),
    ):
        expected = sum(reference[q][theirs] for q in qrels) / len(qrels)
        assert averaged[ours] == pytest.approx(expected, abs=TOLERANCE, rel=0), ours

    del rankings["graded"]  # judged, not ranked: a zero in our mean
    partial = trec_eval_scores(qrels, rankings)
    assert "graded" not in partial
    expected = sum(partial[q]["ndcg_at_10"] for q in partial) / len(qrels)
    assert score_rankings(rankings, qrels)["ndcg_at_10"] == pytest.approx(expected, abs=TOLERANCE)


def test_tied_scores_are_ordered_as_trec_eval_orders_them() -> None:
    """The documented difference: our functions score the order they are given (the retriever's),
    trec_eval re-sorts equal scores by document id, descending. Fed that order, they agree."""
    qrels = {"q": {"a": 0, "c": 2}}
    tied = {"q": {"a": 0.5, "b": 0.5, "c": 0.5, "z": 0.9}}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.3", "recip_rank"})
    theirs = evaluator.evaluate(tied)["q"]
    trec_order = sorted(tied["q"], key=lambda d: (tied["q"][d], d), reverse=True)
    assert trec_order == ["z", "c", "b", "a"]
    assert theirs["recip_rank"] == 0.5
    assert rm.ndcg_at_k(trec_order, qrels["q"], 3) == pytest.approx(theirs["ndcg_cut_3"], abs=1e-9)
    assert rm.mrr_at_k_ids(trec_order, qrels["q"], 1000) == pytest.approx(theirs["recip_rank"])
    # the same tie in the order a retriever may return it: other figures, as there should be
    assert rm.mrr_at_k_ids(["z", "a", "b", "c"], qrels["q"], 1000) == 0.25


DOCS = [f"d{i}" for i in range(12)]


@st.composite
def qrels_and_runs(draw: st.DrawFn) -> tuple[dict[str, dict[str, int]], dict[str, list[str]]]:
    """A few queries with graded judgments (-1..3) on part of the pool and a ranking each that
    mixes judged and unjudged documents, sometimes with repeats."""
    n_queries = draw(st.integers(1, 4))
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, list[str]] = {}
    for q in range(n_queries):
        judged = draw(st.lists(st.sampled_from(DOCS), min_size=1, max_size=8, unique=True))
        qrels[f"q{q}"] = {d: draw(st.integers(-1, 3)) for d in judged}
        run[f"q{q}"] = draw(st.lists(st.sampled_from(DOCS), min_size=1, max_size=15))
    return qrels, run


@settings(max_examples=200, deadline=None)
@given(case=qrels_and_runs())
def test_random_runs_agree_with_trec_eval(
    case: tuple[dict[str, dict[str, int]], dict[str, list[str]]],
) -> None:
    qrels, run = case
    assert_agree(qrels, run)
