"""Training pairs for the reader, built from the public data under ``shared/data`` (seeded).

Answerability (question, sentence) -> 1 when the sentence holds the gold answer:

- SQuAD 1.1 train: the gold sentence (1), another sentence of the same paragraph (0), and the gold
  sentence against a *made-up unanswerable* question (0): the question with a name, number or year
  swapped for one from another paragraph, a negation inserted, or a word swapped for its antonym,
  so that the sentence no longer answers it although it shares nearly every word;
- optionally (``answer_removed``) the gold sentence with its answer cut out (0), and with another
  name or number cut out instead (1), so that a sentence on the topic that lacks the detail asked
  for reads as no answer;
- optionally (``reworded_copies``) more copies of the gold pairs whose question shares under 40%
  of its content words with its sentence, so that an answer worded otherwise than its question
  weighs more than shared words do;
- SQuAD 2.0 dev-half, the first articles of the tuning split only (title order, ``answer_articles``):
  answerable questions with their gold sentence (1), crowd-written unanswerable questions with the
  sentence that holds their plausible answer (0).

Entailment pairs are built in ``nli_data.py``. The rewrites themselves (and their general-English
word lists) are in ``perturb.py``.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.reading.perturb import (
    content_words,
    cut_elsewhere,
    names_in,
    sentence_at,
    split_sentences,
    unanswerable_variant,
    without_answer,
)


@dataclass(frozen=True)
class Pair:
    task: str  # "answer" or "nli"
    first: str
    second: str
    label: int  # answer: 1/0; nli: 0 entailment, 1 neutral, 2 contradiction
    origin: str


def squad11_articles(shared: Path) -> list[dict]:
    """The articles of SQuAD 1.1 train under the shared data folder."""
    with gzip.open(shared / "squad11" / "train-v1.1.json.gz", "rt", encoding="utf-8") as f:
        return json.load(f)["data"]


# --- answerability ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Asked:
    """A SQuAD 1.1 question with its gold sentence, the sentences of its paragraph that do not
    hold the answer, and the names of its article."""

    question: str
    gold: str
    others: list[str]
    names: list[str]


def answer_pairs(
    shared: Path,
    rng: random.Random,
    *,
    squad11_questions: int,
    squad2_articles: range,
    classic: bool = False,
    answer_removed: float = 0.0,
    reworded_copies: int = 0,
) -> list[Pair]:
    """(question, sentence) pairs labelled 1 when the sentence answers the question."""
    pairs = _squad11_answer_pairs(
        shared,
        rng,
        squad11_questions,
        classic=classic,
        answer_removed=answer_removed,
        reworded_copies=reworded_copies,
    )
    pairs += _squad2_answer_pairs(shared, rng, squad2_articles)
    return pairs


def _squad11_answer_pairs(
    shared: Path,
    rng: random.Random,
    questions: int,
    *,
    classic: bool,
    answer_removed: float,
    reworded_copies: int = 0,
) -> list[Pair]:
    entries: list[tuple[list[str], str, dict[str, Any]]] = []
    for article in squad11_articles(shared):
        names = sorted({n for p in article["paragraphs"] for n in names_in(p["context"])})
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                entries.append((names, paragraph["context"], qa))
    by_context: dict[str, list[dict[str, Any]]] = {}
    for _names, context, qa in entries:
        by_context.setdefault(context, []).append(qa)
    rng.shuffle(entries)
    pairs: list[Pair] = []
    for names, context, qa in entries[:questions]:
        answer = qa["answers"][0]
        span = sentence_at(context, answer["answer_start"])
        if span is None:
            continue
        gold = context[span[0] : span[1]].strip()
        if answer["text"] not in gold:
            continue
        question = qa["question"].strip()
        pairs.append(Pair("answer", question, gold, 1, "squad11-gold"))
        if reworded_copies and is_reworded(question, gold):
            pairs += [Pair("answer", question, gold, 1, "squad11-gold-reworded")] * reworded_copies
        others = [
            context[s:e].strip()
            for s, e in split_sentences(context)
            if (s, e) != span and answer["text"] not in context[s:e]
        ]
        asked = _Asked(question, gold, others, names)
        if classic:  # the first stage's data, exactly as it was drawn
            pairs += _classic_negatives(asked, rng)
            continue
        # Near misses: another question on the same paragraph, read against this question's
        # sentence, which shares its topic but not the detail asked for.
        siblings = [
            q["question"]
            for q in by_context.get(context, [])
            if q is not qa and all(a["text"] not in gold for a in q["answers"])
        ]
        pairs += _negatives(asked, siblings, rng)
        if answer_removed and rng.random() < answer_removed:
            pairs += _cut_pairs(question, context, span, answer, rng)
    return pairs


def is_reworded(question: str, sentence: str) -> bool:
    """The sentence has under 40% of the question's content words."""
    words = content_words(question)
    return bool(words) and len(words & content_words(sentence)) < 0.4 * len(words)


def _cut_pairs(
    question: str, context: str, span: tuple[int, int], answer: dict[str, Any], rng: random.Random
) -> list[Pair]:
    """The gold sentence with its answer cut out (0: on topic, but the detail asked is gone)
    and with another name or number cut out instead (1: the control)."""
    start, text = answer["answer_start"], answer["text"]
    pairs: list[Pair] = []
    gone = without_answer(context, span, start, text)
    if gone:
        pairs.append(Pair("answer", question, gone, 0, "squad11-answer-removed"))
        kept = cut_elsewhere(context, span, start, text, question, rng)
        if kept:
            pairs.append(Pair("answer", question, kept, 1, "squad11-other-cut"))
    return pairs


def _classic_negatives(asked: _Asked, rng: random.Random) -> list[Pair]:
    pairs: list[Pair] = []
    if asked.others:
        pairs.append(Pair("answer", asked.question, rng.choice(asked.others), 0, "squad11-other"))
    if rng.random() < 0.75:
        variant = unanswerable_variant(asked.question, asked.names, rng)
        if variant:
            pairs.append(Pair("answer", variant, asked.gold, 0, "squad11-madeup"))
    return pairs


def _negatives(asked: _Asked, siblings: list[str], rng: random.Random) -> list[Pair]:
    """Another sentence, a sibling question, the closest other sentence, a made-up question."""
    pairs: list[Pair] = []
    question, gold, others = asked.question, asked.gold, asked.others
    if others and rng.random() < 0.6:
        pairs.append(Pair("answer", question, rng.choice(others), 0, "squad11-other"))
    if siblings:
        pairs.append(Pair("answer", rng.choice(siblings).strip(), gold, 0, "squad11-sibling"))
    if others and rng.random() < 0.5:
        words = content_words(question)
        hard = max(others, key=lambda t: len(words & content_words(t)))
        pairs.append(Pair("answer", question, hard, 0, "squad11-closest-other"))
    if rng.random() < 0.6:
        variant = unanswerable_variant(question, asked.names, rng)
        if variant:
            pairs.append(Pair("answer", variant, gold, 0, "squad11-madeup"))
    return pairs


def _squad2_answer_pairs(shared: Path, rng: random.Random, articles: range) -> list[Pair]:
    squad2 = json.loads((shared / "squad2" / "dev-half.json").read_text(encoding="utf-8"))["data"]
    squad2.sort(key=lambda a: a["title"])
    pairs: list[Pair] = []
    for index, article in enumerate(squad2, start=1):
        if index not in articles:
            continue
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            sentences = split_sentences(context)
            for qa in paragraph["qas"]:
                pairs += _squad2_question_pairs(context, sentences, qa, rng)
    return pairs


def _squad2_question_pairs(
    context: str, sentences: list[tuple[int, int]], qa: dict[str, Any], rng: random.Random
) -> list[Pair]:
    """An answerable question with its gold sentence (1); an unanswerable one with the sentence
    of its plausible answer and a random sentence of the paragraph (0)."""
    question = qa["question"].strip()
    pairs: list[Pair] = []
    if not qa["is_impossible"]:
        span = sentence_at(context, qa["answers"][0]["answer_start"])
        if span:
            pairs.append(
                Pair("answer", question, context[span[0] : span[1]].strip(), 1, "squad2-gold")
            )
        return pairs
    for plausible in qa.get("plausible_answers", [])[:1]:
        span = sentence_at(context, plausible["answer_start"])
        if span:
            sent = context[span[0] : span[1]].strip()
            pairs.append(Pair("answer", question, sent, 0, "squad2-impossible"))
    if sentences:
        s, e = rng.choice(sentences)
        pairs.append(Pair("answer", question, context[s:e].strip(), 0, "squad2-impossible-other"))
    return pairs
