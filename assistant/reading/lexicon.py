"""Word knowledge for the reader: which words go opposite ways, read from WordNet.

The trained cross-encoder reads "delays fell by 12 per cent" and "delays rose by 12 per cent" as
near-identical. This module tells them apart the way a reader does: two words are *opposed* when
WordNet calls them antonyms ("profit" / "loss") or when one verb says up and the other down
("cut" / "raise", "fell" / "grew"); a claim contradicts a passage sentence when it uses one where
the sentence uses the other *about the same thing* (they share a neighbouring word: "delays",
"9 per cent"). Lemmas come from lemminflect; the word data (``weights/lexicon.json.gz``) is built
from WordNet 3.0 by ``build_lexicon.py``. Nothing here knows a domain.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

LEXICON_FILE = Path(__file__).parent / "weights" / "lexicon.json.gz"
CONTEXT = 2  # content words before a word that say what it is about

_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*|\d+(?:[.,]\d+)*")
_NEGATIONS = frozenset("not no never n't nor neither without".split())
# Function words, and words for amounts or hedges, which say nothing about what changes.
_STOPWORDS = frozenset(
    """a about above after again against all also although am among an and another any are
    around as at be because been before being below besides between both but by can could did
    do does doing down during each either even far few for from further had has have having he
    her here hers him his how however i if in into is it its itself just largely mainly may me
    might more most mostly much must my nearly no nor not of off on once only or other others
    our out over own per cent percent roughly same she should since so some still such than that
    the their them then there these they this those though through to together too under until
    up upon very was we were what whereas when where which while who whom whose why will with
    within without would yet you your said says say almost approximately""".split()
)


@dataclass(frozen=True)
class Opposition:
    """A word of the claim and the word of the passage it goes against."""

    claim_word: str
    passage_word: str


@cache
def load_lexicon() -> dict[str, dict[str, object]]:
    """The word data, read once."""
    return json.loads(gzip.decompress(LEXICON_FILE.read_bytes()))


def lemmas_of(words: Iterable[str]) -> set[str]:
    """Every lemma of every word."""
    return {lemma for w in words for lemma in lemmas(w)}


@lru_cache(maxsize=50000)
def lemmas(word: str) -> frozenset[str]:
    """The word, lowercased, and every lemma lemminflect gives it (any part of speech)."""
    from lemminflect import getAllLemmas

    word = word.lower().replace("’", "'").removesuffix("'s").removesuffix("'")
    found = {word}
    for forms in getAllLemmas(word).values():
        found.update(f.lower() for f in forms)
    return frozenset(found)


@lru_cache(maxsize=50000)
def direction(word: str) -> int:
    """+1 if the word, as a verb, says up ("rose", "doubles"), -1 if down ("cut"), else 0."""
    from lemminflect import getAllLemmas

    table: dict[str, int] = load_lexicon()["direction"]  # type: ignore[assignment]
    low = word.lower()
    verbs = {low, *getAllLemmas(low, upos="VERB").get("VERB", ())}
    ways = {table[v] for v in verbs if v in table}
    return ways.pop() if len(ways) == 1 else 0


@cache
def _common_words() -> frozenset[str]:
    words: list[str] = load_lexicon()["words"]  # type: ignore[assignment]
    return frozenset(words)


def is_common_word(word: str) -> bool:
    """An English word that is not chiefly a person's name ("north", "development": yes;
    "Kishida", "Lincoln": no)."""
    return word.lower() in _common_words()


def _related(a: frozenset[str], b: frozenset[str], table: str) -> bool:
    rows: dict[str, list[str]] = load_lexicon()[table]  # type: ignore[assignment]
    return any(w in b for lemma in a for w in rows.get(lemma, ()))


def opposed(a: str, b: str) -> bool:
    """Antonyms, or verbs of opposite direction."""
    da, db = direction(a), direction(b)
    if da and db and da == -db:
        return True
    return _related(lemmas(a), lemmas(b), "antonyms")


def same_meaning(a: str, b: str) -> bool:
    """The same lemma, or WordNet synonyms ("purchase" / "buy")."""
    la, lb = lemmas(a), lemmas(b)
    return bool(la & lb) or _related(la, lb, "synonyms")


def is_function_word(word: str) -> bool:
    """A function word, or a word for an amount or a hedge ("the", "about", "may", "more")."""
    return word.lower().replace("’", "'") in _STOPWORDS


def content_words(text: str) -> list[str]:
    """Words that carry content (and numbers), in order, without function words."""
    return [w for w, _ in _content_tokens(text)]


def _content_tokens(text: str) -> list[tuple[str, bool]]:
    """Content words, each with whether a negation stands just before it ("did not fall")."""
    out: list[tuple[str, bool]] = []
    recent: list[str] = []
    for word in _WORD.findall(text):
        low = word.lower().replace("’", "'")
        if low not in _STOPWORDS:
            out.append((word, any(w in _NEGATIONS for w in recent[-3:])))
        recent.append(low)
    return out


def _subject_side(words: list[str], i: int) -> set[str]:
    """The lemmas of the content words just before a word: what it is said of."""
    return lemmas_of(words[max(0, i - CONTEXT) : i])


def _scalar(a: str, b: str) -> bool:
    """Opposites on one scale (up and down, "larger" and "smaller"), where "sold" and "bought"
    are one event told from either side."""
    from lemminflect import getAllLemmas

    if direction(a) and direction(b):
        return True
    return all("ADJ" in getAllLemmas(w.lower()) or "ADV" in getAllLemmas(w.lower()) for w in (a, b))


def _object_side(words: list[str], i: int) -> set[str]:
    """The lemma of the content word just after a word: what it acts on or describes ("cutting
    fares", "the smaller arena")."""
    return lemmas_of(words[i + 1 : i + 2])


def _around(words: list[str], i: int) -> set[str]:
    return lemmas_of(words[max(0, i - CONTEXT) : i] + words[i + 1 : i + 1 + CONTEXT])


@lru_cache(maxsize=50000)
def plainly_a_verb(word: str) -> bool:
    """A past tense, participle or -ing form ("rose", "declined", "growing"): a verb as used,
    where "delays" or "increases" may be nouns."""
    from lemminflect import getAllLemmas, getInflection

    low = word.lower()
    verbs = getAllLemmas(low, upos="VERB").get("VERB", ())
    return any(low in getInflection(v, tag=t) for v in verbs for t in ("VBD", "VBN", "VBG"))


def _goes_the_same_way(said: list[str], i: int, told: list[str]) -> bool:
    """Whether the passage has a verb of the claim word's direction about the same things ("the
    reform reduced poverty" / "poverty declined after the reform")."""
    way = direction(said[i])
    return bool(way) and any(
        w.isalpha() and direction(w) == way and plainly_a_verb(w)
        and _around(said, i) & _around(told, j)
        for j, w in enumerate(told)
    )  # fmt: skip


def oppositions(claim: str, passage: str) -> list[Opposition]:
    """Words of the claim that go against a word of the passage about the same thing.

    "About the same thing": the two words share a content word among the two before each ("delays
    fell" / "delays rose"; "the company sold" / "Ford bought" share none), or, for opposites on
    one scale, the word after each ("cutting fares" / "raising fares", "the smaller arena" / "the
    larger arena"; not "sold the factory" / "bought the factory", one sale told from each side). A claim word does not
    count when the passage has it, a synonym, or a verb going the same way about the same
    things; when a negation stands before it; or when the claim also has the passage's word (a
    claim saying "rose" and "fell" of two things is not opposing one of them).
    """
    tokens = _content_tokens(claim)
    said, told = [w for w, _ in tokens], content_words(passage)
    claim_lemmas = lemmas_of(said)
    found: list[Opposition] = []
    for i, (word, negated) in enumerate(tokens):
        if not word.isalpha() or negated or any(same_meaning(word, w) for w in told):
            continue
        if _goes_the_same_way(said, i, told):
            continue
        for j, other in enumerate(told):
            if not other.isalpha() or lemmas(other) & claim_lemmas or not opposed(word, other):
                continue
            same_subject = _subject_side(said, i) & _subject_side(told, j)
            same_object = _scalar(word, other) and _object_side(said, i) & _object_side(told, j)
            if same_subject or same_object:
                found.append(Opposition(word, other))
                break
    return found
