"""Entailment training pairs for the reader, built from the public data under ``shared/data``
(seeded).

Entailment (passage, claim) -> entailment / neutral / contradiction:

- MultiNLI (20k sample) and SNLI dev, as published;
- made-up pairs from SQuAD 1.1 passages: a sentence of the passage (entailment), the same sentence
  with a number respelled in words (entailment), with a number, year, name or negation changed or a
  word swapped for its antonym (contradiction), and a sentence of another paragraph of the same
  article (neutral).

The rewrites themselves are in ``perturb.py``; the pair type and the SQuAD reader in
``train_data.py``.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from assistant.reading.perturb import (
    NUMBER,
    change_number,
    detokenize,
    flip_negation,
    names_in,
    respell_number,
    shorten,
    split_sentences,
    swap_antonym,
    swap_name,
)
from assistant.reading.train_data import Pair, squad11_articles

NLI_LABELS: dict[str, int] = {"entailment": 0, "neutral": 1, "contradiction": 2}
"""The entailment head's classes, as the NLI corpora name them."""


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
    articles = squad11_articles(shared)
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
