"""Calibrates the trained reader on tuning data it was not trained on; writes ``calibration.json``.

    python -m assistant.reading.calibrate            # about 10 minutes on 2 cores

1. **Platt scaling** of the answer logit, fitted on sentence pairs of SQuAD 2.0 ``dev-half``
   articles 6-8 (title order; training used articles 1-5, reports use 9-16): each question
   against every sentence of its paragraph, label 1 when the sentence holds a gold answer.
2. **The answer threshold** (``min_answer_prob``): the assistant answers when a shortlisted
   sentence reaches it, and declines otherwise. Chosen on the full pipeline (retrieval,
   shortlist, reader, answer-type rule) over two tuning sets with equal weight: SQuAD 2.0 articles
   6-8 (AvNA) and ``eval/sets/japan-reader-dev.yaml`` (answer-or-decline accuracy), among the
   thresholds that decline no more answerable questions of the team set's tuning split
   (``eval/sets/japan-dev.yaml``) than the lowest threshold of the grid (the team set must not
   get worse on answerable questions).
3. **The entailment thresholds** (``min_entailed``, ``min_contradicted``) of the citation
   checker, chosen on ``eval/sets/verification-dev.yaml`` and ``verification-dev2.yaml`` pooled
   (grid 0.05-0.9): among thresholds that accept at least
   85% of the faithful claims and show at most 10% of the wrong ones as supported (or all, if
   none does), the one with the most faithful accepted less twice the wrong shown as supported.

Never tuned on: SQuAD articles 9-16, ``japan-heldout.yaml``, ``japan-test.yaml``,
``verification-test.yaml``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.reading import CALIBRATION_FILE, Calibration, ModelReader

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.evaluation.questions import EvalItem
    from assistant.evaluation.verification import VerificationPair
    from assistant.generation.extractive import ExtractiveAnswerer
    from assistant.index.embedder import Embedder
    from assistant.runtime import Runtime


WRONG_COST = 2.0


def fit_platt(logits: np.ndarray, labels: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """Logistic regression of labels on one feature (Newton's method): (scale, shift)."""
    x = np.stack([logits, np.ones_like(logits)], axis=1).astype(np.float64)
    y = labels.astype(np.float64)
    w = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y)
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), float(w[1])


def _sentence_pairs(
    squad: Path, articles: str, limit: int, seed: int
) -> tuple[list[str], list[str], list[int]]:
    """Each sampled question against every sentence of its paragraph; 1 = holds a gold answer."""
    from assistant.citations import sentence_spans
    from assistant.evaluation.squad import parse_article_range

    data = json.loads(squad.read_text(encoding="utf-8"))["data"]
    by_title = sorted(data, key=lambda a: a["title"])
    chosen = [by_title[n - 1] for n in parse_article_range(articles, len(by_title))]
    rows = [
        (qa, paragraph["context"])
        for article in chosen
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    random.Random(seed).shuffle(rows)
    questions: list[str] = []
    texts: list[str] = []
    labels: list[int] = []
    for qa, context in rows[:limit]:
        golds = [a["text"].lower() for a in qa.get("answers", []) if a["text"].strip()]
        for start, end in sentence_spans(context):
            sentence = context[start:end]
            questions.append(qa["question"])
            texts.append(sentence)
            labels.append(int(any(g in sentence.lower() for g in golds)))
    return questions, texts, labels


def _decision_scores(
    runtime: Runtime, items: list[EvalItem], answerer: ExtractiveAnswerer
) -> list[tuple[bool, float]]:
    """(answerable, the answerer's decision score) for each item, broad questions included."""
    out: list[tuple[bool, float]] = []
    for item in items:
        hits = runtime.retriever.retrieve(item.question)
        reading = answerer.read(item.question, list(item.history), hits)
        out.append((item.answerable, answerer.decision_score(reading)))
    return out


def _answerables_declined(scores: list[tuple[bool, float]], threshold: float) -> int:
    return sum(answerable and best < threshold for answerable, best in scores)


def _accuracy(scores: list[tuple[bool, float]], threshold: float) -> float:
    return sum((best >= threshold) == answerable for answerable, best in scores) / len(scores)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=Path("../shared/data/squad2/dev-half.json"))
    parser.add_argument("--articles", default="6-8")
    parser.add_argument("--platt-questions", type=int, default=600)
    parser.add_argument("--threshold-questions", type=int, default=400)
    parser.add_argument("--japan-dev", type=Path, default=Path("eval/sets/japan-reader-dev.yaml"))
    parser.add_argument(
        "--team-dev",
        type=Path,
        default=Path("eval/sets/japan-dev.yaml"),
        help="the team set's tuning split: the threshold may not decline more of its answerable "
        "questions than the lowest threshold of the grid does",
    )
    parser.add_argument(
        "--verification-dev",
        type=Path,
        nargs="+",
        default=[Path("eval/sets/verification-dev.yaml"), Path("eval/sets/verification-dev2.yaml")],
        help="verification tuning sets (their pairs are pooled)",
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    parser.add_argument("--weights", type=Path, help="reader weights (default: the shipped file)")
    return parser


def _platt_reader(args: argparse.Namespace) -> ModelReader:
    """The trained reader with its answer logit Platt-scaled on the SQuAD tuning articles."""
    from assistant.reading.model import DEFAULT_WEIGHTS, CrossEncoderReader

    reader = ModelReader(CrossEncoderReader(args.weights or DEFAULT_WEIGHTS), Calibration())
    questions, texts, labels = _sentence_pairs(
        args.squad, args.articles, args.platt_questions, args.seed
    )
    logits = reader.model.logits("answer", questions, texts)
    scale, shift = fit_platt(np.asarray(logits), np.asarray(labels))
    print(
        f"platt: {len(labels)} sentence pairs ({sum(labels)} answering): scale {scale:.3f} shift {shift:.3f}"
    )
    calibration = replace(Calibration(), answer_scale=scale, answer_shift=shift)
    return ModelReader(reader.model, calibration)


def _answer_threshold(
    args: argparse.Namespace, settings: Settings, base: Runtime, reader: ModelReader
) -> float:
    """``min_answer_prob``: the best mean of SQuAD AvNA and japan-reader-dev accuracy among the
    thresholds that decline no more of the team set's answerables than the grid's lowest."""
    from assistant.evaluation.questions import load_question_set
    from assistant.evaluation.squad import load_squad, squad_runtime
    from assistant.generation.extractive import ExtractiveAnswerer

    answerer = ExtractiveAnswerer.from_settings(settings, base.embedder, reader)
    dataset = load_squad(
        args.squad, articles=args.articles, sample=args.threshold_questions, seed=args.seed
    )
    with squad_runtime(settings, base, dataset) as runtime:
        squad_scores = _decision_scores(runtime, dataset.items, answerer)
    japan_items = load_question_set(args.japan_dev)
    japan_scores = _decision_scores(base, japan_items, answerer)
    team_scores = _decision_scores(base, load_question_set(args.team_dev), answerer)
    grid = [round(t, 2) for t in np.arange(0.05, 0.96, 0.01)]
    floor = _answerables_declined(team_scores, grid[0])
    allowed = [t for t in grid if _answerables_declined(team_scores, t) <= floor]
    best_t = max(
        allowed,
        key=lambda t: (_accuracy(squad_scores, t) + _accuracy(japan_scores, t)) / 2,
    )
    print(
        f"min_answer_prob {best_t}: SQuAD articles {args.articles} AvNA "
        f"{_accuracy(squad_scores, best_t):.3f} ({len(squad_scores)} questions), "
        f"japan-reader-dev accuracy {_accuracy(japan_scores, best_t):.3f} ({len(japan_scores)}), "
        f"{args.team_dev.name} accuracy {_accuracy(team_scores, best_t):.3f} "
        f"({len(team_scores)}; answerables declined {_answerables_declined(team_scores, best_t)}, "
        f"as at {grid[0]})"
    )
    return best_t


def _verification_rates(
    pairs: list[VerificationPair],
    embedder: Embedder,
    reader: ModelReader,
    min_entailed: float,
    min_contradicted: float,
) -> tuple[float, float, float, float]:
    """(faithful accepted, wrong shown supported, wrong contradicted, faithful contradicted)."""
    from assistant.evaluation.verification import check_pair

    accepted = wrong_supported = wrong_contradicted = faithful_contradicted = 0
    for pair in pairs:
        status = check_pair(
            pair, embedder, reader, min_entailed=min_entailed, min_contradicted=min_contradicted
        ).status
        if pair.label == "faithful":
            accepted += status == "supported"
            faithful_contradicted += status == "contradicted"
        else:
            wrong_supported += status == "supported"
            wrong_contradicted += status == "contradicted"
    n_f = sum(p.label == "faithful" for p in pairs)
    n_w = len(pairs) - n_f
    return (
        accepted / n_f,
        wrong_supported / n_w,
        wrong_contradicted / n_w,
        faithful_contradicted / n_f,
    )


def _entailment_thresholds(
    args: argparse.Namespace, embedder: Embedder, reader: ModelReader
) -> tuple[float, float]:
    """(``min_entailed``, ``min_contradicted``) chosen on the verification tuning set."""
    from assistant.evaluation.verification import load_verification_set

    pairs = [pair for path in args.verification_dev for pair in load_verification_set(path)]

    def rates(min_entailed: float, min_contradicted: float) -> tuple[float, float, float, float]:
        return _verification_rates(pairs, embedder, reader, min_entailed, min_contradicted)

    entail_grid = [0.05, 0.075] + [round(t, 2) for t in np.arange(0.1, 0.91, 0.05)]
    table = {t: rates(t, 0.5) for t in entail_grid}
    # Both of issue 9's targets where some threshold meets them; else a wrong claim shown as
    # supported costs twice a faithful one rejected (it is the failure a reader cannot see).
    eligible = [t for t in entail_grid if table[t][0] >= 0.85 and table[t][1] <= 0.10]
    eligible = eligible or entail_grid
    min_entailed = max(eligible, key=lambda t: (table[t][0] - WRONG_COST * table[t][1], t))
    contradiction_grid = [round(t, 2) for t in np.arange(0.3, 0.91, 0.1)]
    min_contradicted = max(
        contradiction_grid,
        key=lambda c: (rates(min_entailed, c)[2] - rates(min_entailed, c)[3], c),
    )
    accepted, supported, contradicted, _ = rates(min_entailed, min_contradicted)
    print(
        f"min_entailed {min_entailed}, min_contradicted {min_contradicted}: verification tuning "
        f"faithful accepted {accepted:.3f}, wrong shown supported {supported:.3f}, "
        f"wrong contradicted {contradicted:.3f} ({len(pairs)} pairs)"
    )
    return min_entailed, min_contradicted


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from assistant.config import load_settings
    from assistant.runtime import Runtime

    started = time.perf_counter()
    reader = _platt_reader(args)
    settings = load_settings()
    base = Runtime(settings, reader_override=reader)
    best_t = _answer_threshold(args, settings, base, reader)
    min_entailed, min_contradicted = _entailment_thresholds(args, base.embedder, reader)

    minutes = (time.perf_counter() - started) / 60
    final = replace(
        reader.calibration,
        min_answer_prob=best_t,
        min_entailed=min_entailed,
        min_contradicted=min_contradicted,
        tuned_on=(
            f"Platt and min_answer_prob: SQuAD 2.0 dev-half articles {args.articles} "
            f"(seed {args.seed}); min_answer_prob also {args.japan_dev.name}, not declining "
            f"more answerables of {args.team_dev.name}; entailment "
            f"thresholds: {' + '.join(p.name for p in args.verification_dev)}; {minutes:.1f} min"
        ),
    )
    args.out.write_text(json.dumps(asdict(final), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {minutes:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
