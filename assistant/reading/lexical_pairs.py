"""Made-up entailment pairs that turn on one word, for training the reader (seeded).

A sentence of a SQuAD 1.1 paragraph is the premise; the claim is the same sentence with one word
changed through WordNet (its most frequent sense, the same inflection):

- a synonym ("purchased" for "bought") or, for a noun, its hypernym ("vehicles" for "cars"):
  entailment. These teach the reader that a paraphrase is not a contradiction;
- a co-hyponym ("lent" for "bought": another kind of the same thing) or, for a noun, a hyponym:
  neutral. These teach it that a changed relation is not entailed, however many words are shared;
- a verb of the opposite direction ("fell" for "rose", from ``weights/lexicon.json.gz``):
  contradiction.

For the answer head, the same changes are made to a SQuAD 1.1 question read against the sentence
that answers it: a word the sentence also uses swapped for a co-hyponym (the question now asks
about something else the sentence does not state: "Which city ..." for "Which port ...") = not
answered; swapped for a synonym = still answered (a paraphrased question).

Only words whose part of speech is unambiguous to lemminflect are changed; names are not.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.reading.build_lexicon import WordNet
from assistant.reading.lexicon import load_lexicon
from assistant.reading.perturb import split_sentences
from assistant.reading.train_data import Pair, squad11_articles

TAGS = {
    "VERB": ("VBD", "VBZ", "VBG", "VBN", "VBP", "VB"),
    "NOUN": ("NNS", "NN"),
    "ADJ": ("JJ",),
}
WN_POS = {"VERB": "v", "NOUN": "n", "ADJ": "a"}
_WORD = re.compile(r"(?<![\w-])[a-z][a-z]{3,}(?![\w-])")
_COMMON = 3  # tagged uses of a word, so that swaps use words people write
_MIN_LETTERS = 4  # shorter words ("ks", "buy") are too often abbreviations or too polysemous
_MAX_SENSES = 6  # a word with more senses is too ambiguous for its first sense to be the one meant


@dataclass(frozen=True)
class _Slot:
    word: str
    lemma: str
    upos: str
    tag: str


class Senses:
    """WordNet with first senses and use counts, for choosing a replacement word."""

    def __init__(self, root: Path) -> None:
        self.wn = WordNet(root)
        self.first = self.wn.first
        self.direction: dict[str, int] = load_lexicon()["direction"]  # type: ignore[assignment]
        self.by_direction = {
            sign: [w for w, d in self.direction.items() if d == sign and self.common(w, "v")]
            for sign in (1, -1)
        }

    def common(self, lemma: str, pos: str) -> bool:
        """Written often enough, and with few enough senses to be read in the one meant."""
        key = (lemma, pos)
        return (
            self.wn.uses[key] >= _COMMON
            and self.wn.senses[key] <= _MAX_SENSES
            and len(lemma) >= _MIN_LETTERS
        )

    def _words(self, synsets: set[str], pos: str, lemma: str) -> list[str]:
        return sorted(
            {w for s in synsets for w in self.wn.words.get(s, ())}
            - {lemma}
            - {w for w in self.wn.words.get(self.first[(lemma, pos)], ())}
            if (lemma, pos) in self.first
            else set()
        )

    def related(self, lemma: str, pos: str, how: str) -> list[str]:
        """Common single words in the given relation to the lemma's first sense."""
        sense = self.first.get((lemma, pos))
        if sense is None or not self.common(lemma, pos):
            return []
        if how == "synonym":
            found = sorted(set(self.wn.words[sense]) - {lemma})
        elif how == "hypernym":
            found = self._words(self.wn.linked({sense}, {"@"}), pos, lemma)
        elif how == "hyponym":
            found = self._words(self.wn.linked({sense}, {"~"}), pos, lemma)
        else:  # co-hyponym
            parents = self.wn.linked({sense}, {"@"})
            found = self._words(self.wn.linked(parents, {"~"}), pos, lemma)
        return [w for w in found if "_" not in w and w != lemma and self.common(w, pos)]


def _slots(sentence: str) -> list[_Slot]:
    from lemminflect import getAllLemmas, getInflection

    slots: list[_Slot] = []
    for word in dict.fromkeys(_WORD.findall(sentence)):
        found = {u: forms for u, forms in getAllLemmas(word).items() if u in TAGS}
        if len(found) != 1:
            continue
        ((upos, forms),) = found.items()
        lemma = forms[0]
        tag = next((t for t in TAGS[upos] if word in getInflection(lemma, tag=t)), None)
        if tag is not None:
            slots.append(_Slot(word, lemma, upos, tag))
    return slots


def _inflect(lemma: str, tag: str) -> str | None:
    from lemminflect import getInflection

    forms = getInflection(lemma, tag=tag)
    return forms[0] if forms else None


def _changed(sentence: str, slot: _Slot, new_lemma: str) -> str | None:
    new = _inflect(new_lemma, slot.tag)
    if not new or new == slot.word:
        return None
    return re.sub(rf"(?<![\w-]){re.escape(slot.word)}(?![\w-])", new, sentence, count=1)


CHANGES = (  # (how, label, part of speech or None for any, share of the pairs)
    ("synonym", 0, None, 0.3),
    ("hypernym", 0, "NOUN", 0.1),
    ("co-hyponym", 1, None, 0.3),
    ("hyponym", 1, "NOUN", 0.1),
    ("direction", 2, "VERB", 0.2),
)


def _one_pair(senses: Senses, sentence: str, rng: random.Random) -> Pair | None:
    how, label, upos, _ = rng.choices(CHANGES, weights=[c[3] for c in CHANGES])[0]
    slots = [s for s in _slots(sentence) if upos is None or s.upos == upos]
    rng.shuffle(slots)
    for slot in slots:
        if how == "direction":
            sign = senses.direction.get(slot.lemma, 0)
            options = senses.by_direction[-sign] if sign else []
        else:
            options = senses.related(slot.lemma, WN_POS[slot.upos], how)
        if options:
            claim = _changed(sentence, slot, rng.choice(options))
            if claim:
                return Pair("nli", sentence, claim, label, f"lexical-{how}")
    return None


def _paragraphs(shared: Path, rng: random.Random) -> Iterator[dict[str, Any]]:
    """SQuAD 1.1 train's paragraphs, articles in a seeded order."""
    articles = squad11_articles(shared)
    rng.shuffle(articles)
    for article in articles:
        yield from article["paragraphs"]


def _first(n: int, made: Iterable[Pair | None]) -> list[Pair]:
    pairs: list[Pair] = []
    for pair in made if n > 0 else ():
        if pair is not None:
            pairs.append(pair)
        if len(pairs) >= n:
            break
    return pairs


def lexical_pairs(shared: Path, wordnet: Path, rng: random.Random, n: int) -> list[Pair]:
    """n pairs from SQuAD 1.1 train sentences of 8 to 40 words."""
    senses = Senses(wordnet)

    def made(paragraph: dict[str, Any]) -> Pair | None:
        context = paragraph["context"]
        s, e = rng.choice(split_sentences(context))
        sentence = context[s:e].strip()
        if not 8 <= len(sentence.split()) <= 40:
            return None
        return _one_pair(senses, sentence, rng)

    return _first(n, map(made, _paragraphs(shared, rng)))


QUESTION_CHANGES = (("co-hyponym", 0, 0.5), ("synonym", 1, 0.5))


def _question_pair(senses: Senses, question: str, sentence: str, rng: random.Random) -> Pair | None:
    how, label, _ = rng.choices(QUESTION_CHANGES, weights=[c[2] for c in QUESTION_CHANGES])[0]
    said = sentence.lower()
    slots = [s for s in _slots(question) if s.word in said or s.lemma in said]
    rng.shuffle(slots)
    for slot in slots:
        options = [w for w in senses.related(slot.lemma, WN_POS[slot.upos], how) if w not in said]
        if options:
            changed = _changed(question, slot, rng.choice(options))
            if changed:
                return Pair("answer", changed, sentence, label, f"lexical-question-{how}")
    return None


def lexical_question_pairs(shared: Path, wordnet: Path, rng: random.Random, n: int) -> list[Pair]:
    """n (question, answering sentence) pairs from SQuAD 1.1 train, one word of the question
    changed."""
    from assistant.reading.perturb import sentence_at

    senses = Senses(wordnet)

    def made(paragraph: dict[str, Any]) -> Pair | None:
        context, qa = paragraph["context"], rng.choice(paragraph["qas"])
        answer = qa["answers"][0]
        span = sentence_at(context, answer["answer_start"])
        if span is None or answer["text"] not in context[span[0] : span[1]]:
            return None
        sentence = context[span[0] : span[1]].strip()
        return _question_pair(senses, qa["question"].strip(), sentence, rng)

    return _first(n, map(made, _paragraphs(shared, rng)))
