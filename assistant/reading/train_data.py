"""Training pairs for the reader, built from the public data under ``shared/data`` (seeded).

Answerability (question, sentence) -> 1 when the sentence holds the gold answer:

- SQuAD 1.1 train: the gold sentence (1), another sentence of the same paragraph (0), and the gold
  sentence against a *made-up unanswerable* question (0): the question with a name, number or year
  swapped for one from another paragraph, a negation inserted, or a word swapped for its antonym,
  so that the sentence no longer answers it although it shares nearly every word;
- optionally (``answer_removed``) the gold sentence with its answer cut out (0), and with another
  name or number cut out instead (1), so that a sentence on the topic that lacks the detail asked
  for reads as no answer;
- SQuAD 2.0 dev-half, the first articles of the tuning split only (title order, ``answer_articles``):
  answerable questions with their gold sentence (1), crowd-written unanswerable questions with the
  sentence that holds their plausible answer (0).

Entailment (passage, claim) -> entailment / neutral / contradiction:

- MultiNLI (20k sample) and SNLI dev, as published;
- made-up pairs from SQuAD 1.1 passages: a sentence of the passage (entailment), the same sentence
  with a number respelled in words (entailment), with a number, year, name or negation changed or a
  word swapped for its antonym (contradiction), and a sentence of another paragraph of the same
  article (neutral).

The rewrites themselves (and their general-English word lists) are in ``perturb.py``.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.reading.perturb import (
    NUMBER,
    change_number,
    content_words,
    cut_elsewhere,
    detokenize,
    flip_negation,
    names_in,
    respell_number,
    sentence_at,
    shorten,
    split_sentences,
    swap_antonym,
    swap_name,
    unanswerable_variant,
    without_answer,
)

NLI_LABELS: dict[str, int] = {"entailment": 0, "neutral": 1, "contradiction": 2}
"""The entailment head's classes, as the NLI corpora name them."""


@dataclass(frozen=True)
class Pair:
    task: str  # "answer" or "nli"
    first: str
    second: str
    label: int  # answer: 1/0; nli: 0 entailment, 1 neutral, 2 contradiction
    origin: str


def _squad11(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
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
    for article in _squad11(shared / "squad11" / "train-v1.1.json.gz"):
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


# --- entailment -------------------------------------------------------------------------------


def nli_pairs(
    shared: Path,
    rng: random.Random,
    *,
    synthetic: int,
    mnli: int,
    snli: int,
    classic: bool = False,
) -> list[Pair]:
    """(passage, claim) pairs with entailment (0), neutral (1), contradiction (2) labels."""
    pairs = _published_nli_pairs(shared, rng, mnli=mnli, snli=snli)
    pairs += _made_up_nli_pairs(shared, rng, synthetic, classic=classic)
    return pairs


def _published_nli_pairs(shared: Path, rng: random.Random, *, mnli: int, snli: int) -> list[Pair]:
    pairs: list[Pair] = []
    with open(shared / "nli" / "mnli_train_20k_tokenized.tsv", encoding="utf-8") as f:
        rows = [
            r
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            if r["label"] in NLI_LABELS
        ]
    rng.shuffle(rows)
    for r in rows[:mnli]:
        first, second = detokenize(r["sentence1"]), detokenize(r["sentence2"])
        pairs.append(Pair("nli", first, second, NLI_LABELS[r["label"]], "mnli"))
    with open(shared / "nli" / "snli_dev.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["label"] in NLI_LABELS]
    rng.shuffle(rows)
    for r in rows[:snli]:
        pairs.append(Pair("nli", r["premise"], r["hypothesis"], NLI_LABELS[r["label"]], "snli"))
    return pairs


@dataclass(frozen=True)
class _Passage:
    """A window of two or three sentences of a SQuAD paragraph: the premise of made-up pairs."""

    context: str
    paragraphs: list[str]  # the article's paragraphs
    names: list[str]  # the article's names
    spans: list[tuple[int, int]]  # the paragraph's sentences
    window: list[tuple[int, int]]

    @property
    def premise(self) -> str:
        return self.context[self.window[0][0] : self.window[-1][1]].strip()

    @property
    def outside(self) -> list[tuple[int, int]]:
        """The paragraph's sentences outside the window: same topic, not stated by it."""
        first, last = self.window[0][0], self.window[-1][1]
        return [sp for sp in self.spans if sp[1] <= first or sp[0] >= last]


def _made_up_nli_pairs(
    shared: Path, rng: random.Random, synthetic: int, *, classic: bool
) -> list[Pair]:
    articles = _squad11(shared / "squad11" / "train-v1.1.json.gz")
    rng.shuffle(articles)
    pairs: list[Pair] = []
    made = 0
    for article in articles:
        paragraphs = [p["context"] for p in article["paragraphs"]]
        names = sorted({n for p in paragraphs for n in names_in(p)})
        for context in paragraphs:
            if made >= synthetic:
                return pairs
            passage_pairs = _passage_pairs(context, paragraphs, names, rng, classic=classic)
            if passage_pairs is not None:
                pairs += passage_pairs
                made += 1
    return pairs


def _passage_pairs(
    context: str, paragraphs: list[str], names: list[str], rng: random.Random, *, classic: bool
) -> list[Pair] | None:
    """The pairs made from one paragraph; None when it yields no usable claim."""
    spans = split_sentences(context)
    if len(spans) < 2:
        return None
    i = rng.randrange(len(spans) - 1)
    passage = _Passage(context, paragraphs, names, spans, spans[i : i + rng.choice([2, 3])])
    choice = rng.random()
    numbered = [w for w in passage.window if NUMBER.search(context[w[0] : w[1]])]
    if 0.16 <= choice < 0.42 and numbered:
        s, e = rng.choice(numbered)
    else:
        s, e = rng.choice(passage.window)
    claim = context[s:e].strip()
    if len(claim.split()) < 6 or len(claim.split()) > 45:
        return None
    made = _claim_pair(passage, claim, choice, rng, classic=classic)
    pairs = [] if made is None else [made]
    if classic:
        return pairs
    # More entailed parts and same-topic neutrals, so that high word overlap alone
    # does not mean "contradiction".
    short = shorten(claim, rng) if rng.random() < 0.35 else None
    if short:
        pairs.append(Pair("nli", passage.premise, short, 0, "made-entail-part"))
    outside = passage.outside
    if outside and rng.random() < 0.3:
        pairs.append(_neutral_near(passage, outside, rng))
    return pairs


def _claim_pair(
    passage: _Passage, claim: str, choice: float, rng: random.Random, *, classic: bool
) -> Pair | None:
    """The claim as it is, or changed, against the premise; `choice` picks how."""
    premise = passage.premise
    made: tuple[str | None, int, str]
    if choice < 0.16:
        made = claim, 0, "made-entail-copy"
    elif choice < 0.26:
        made = respell_number(claim, rng), 0, "made-entail-respelled"
    elif choice < 0.42:
        made = change_number(claim, rng, in_words=rng.random() < 0.5), 2, "made-number"
    elif choice < 0.58:
        local_names = names_in(premise)
        use_local = len(local_names) > 1 and rng.random() < 0.7
        made = swap_name(claim, local_names if use_local else passage.names, rng), 2, "made-name"
    elif choice < 0.72:
        made = flip_negation(claim, rng), 2, "made-negation"
    elif choice < 0.86:
        made = swap_antonym(claim, rng), 2, "made-antonym"
    else:
        # neutral: a sentence of the same paragraph outside the window (same topic, not
        # stated), else one of another paragraph
        outside = passage.outside
        if not classic and outside and rng.random() < 0.7:
            return _neutral_near(passage, outside, rng)
        return _neutral_far(passage, rng)
    second, label, origin = made
    return Pair("nli", premise, second, label, origin) if second else None


def _neutral_near(passage: _Passage, outside: list[tuple[int, int]], rng: random.Random) -> Pair:
    s, e = rng.choice(outside)
    return Pair("nli", passage.premise, passage.context[s:e].strip(), 1, "made-neutral-near")


def _neutral_far(passage: _Passage, rng: random.Random) -> Pair | None:
    other = rng.choice(passage.paragraphs)
    if other == passage.context:
        return None
    s, e = rng.choice(split_sentences(other))
    return Pair("nli", passage.premise, other[s:e].strip(), 1, "made-neutral")
