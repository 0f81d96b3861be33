"""What a sentence claims, as the verifier compares it with a passage: its numbers, its names,
whether it is negated, and whether it is a connective that claims nothing."""

from __future__ import annotations

import re

_PER_CENT = re.compile(r"(\d)\s*(?:%|per\s*cent\b|percent\b)", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)*")
WORD_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*")
_POSSESSIVE = re.compile(r"['’]s?$")
_NEGATION = re.compile(
    r"\b(not|never|no|neither|nor|none|nobody|nothing|without|cannot)\b|n't\b|n’t\b", re.IGNORECASE
)
CONNECTIVE_MAX_WORDS = 8

# Capitalised words that are not names: function words that may start a clause, titles.
_NAME_STOPWORDS_TEXT = """
a an and as at but by for from he her his i if in it its mr mrs ms dr no not of on or
our she so such that the their then there these they this those to we what when where
which who why with yes you however although also according overall instead meanwhile
moreover furthermore therefore thus in additionally finally first second third source
sources prime minister president foreign defence defense secretary government
"""
NAME_STOPWORDS = frozenset(_NAME_STOPWORDS_TEXT.split())


def normalise_for_check(text: str) -> str:
    """Straight quotes, one spelling of per cent ("65 percent"), no thousands separators."""
    text = (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2013", "-")
        .replace("\u2014", "-")
    )
    text = _PER_CENT.sub(r"\1 percent", text)
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def number_tokens(text: str) -> set[str]:
    """The numbers written with digits, normalised ("1,000" -> "1000", "65%" -> "65")."""
    return {t.rstrip(".,") for t in _NUMBER_TOKEN.findall(normalise_for_check(text))}


def name_tokens(sentence: str) -> set[str]:
    """Capitalised words after the first (names, places, months, acronyms), lowercased."""
    words = WORD_TOKEN.findall(normalise_for_check(sentence))
    names: set[str] = set()
    for word in words[1:]:
        if not word[0].isupper():
            continue
        base = _POSSESSIVE.sub("", word).lower()
        if base and base not in NAME_STOPWORDS and not _unit_abbreviation(word):
            names.add(base)
    return names


def _unit_abbreviation(word: str) -> bool:
    """ "MW", "GW", "KW": a unit of measure in capitals, no name."""
    from assistant.measures import unit_of

    return word.isupper() and unit_of(word) is not None


def passage_words(text: str) -> set[str]:
    """Every word of a passage, lowercased, without a possessive 's."""
    return {_POSSESSIVE.sub("", w).lower() for w in WORD_TOKEN.findall(normalise_for_check(text))}


def name_in(name: str, words: set[str]) -> bool:
    """Exact, or the same first five letters ("Japanese" / "Japan's")."""
    if name in words:
        return True
    return len(name) >= 5 and any(len(w) >= 5 and w[:5] == name[:5] for w in words)


def missing_names(sentence: str, passages: str) -> list[str]:
    """The names of a sentence that the passages do not mention, sorted."""
    words = passage_words(normalise_for_check(passages))
    return sorted(n for n in name_tokens(sentence) if not name_in(n, words))


def is_connective(sentence: str) -> bool:
    """Short, no digits, no names: "Here is what the sources say." carries no claim."""
    return (
        len(sentence.split()) <= CONNECTIVE_MAX_WORDS
        and not _NUMBER_TOKEN.search(sentence)
        and not name_tokens(sentence)
    )


def negated(text: str) -> bool:
    """Whether a sentence is negated: an odd number of negation words ("not ... never" cancel)."""
    return len(_NEGATION.findall(text)) % 2 == 1
