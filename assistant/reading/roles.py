"""Who is said to do what: a claim that gives the words a passage says of one of its names to
another of them ("goalkeeper Kwame Asante kept 14 clean sheets" where the passage says "striker
Kwame Asante scored 19 goals, while goalkeeper Tom Hartigan kept 14 clean sheets").

A name is *bound* to the nearest content word before it and after it in its clause (function
words and other names between are passed over; a comma, semicolon or bracket ends the search).
The claim swaps names when a word it binds to some of its names is bound, in the passage, only to
others of them ("Dr Leon Abara of Westfield University" binds "Dr" to all three names). Generic English: names are the claim's capitalised words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.claims import NAME_STOPWORDS, name_tokens
from assistant.reading.lexicon import is_function_word, lemmas

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*\d|\d|[.!?,;:()\"“”]")
_ENDS = frozenset(".!?")
_POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class Swap:
    """A word of the claim bound to `name` that the passage binds to `other`."""

    name: str
    word: str
    other: str


def _bindings(text: str, names: set[str]) -> list[tuple[str, str]]:
    """(name, word) pairs: each name of `names` in text with the words bound to it."""
    tokens = _TOKEN.findall(text)
    keys = [_POSSESSIVE.sub("", t).lower() if t[0].isupper() else "" for t in tokens]
    # the claim's names, and any capitalised word inside a sentence of the text
    is_name = [
        k in names or (bool(k) and i > 0 and tokens[i - 1] not in _ENDS and k not in NAME_STOPWORDS)
        for i, k in enumerate(keys)
    ]
    pairs: list[tuple[str, str]] = []
    for i in range(len(tokens)):
        if not is_name[i]:
            continue
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(tokens) and (is_name[j] or is_function_word(tokens[j])):
                j += step
            if 0 <= j < len(tokens) and tokens[j][0].isalpha():
                pairs.append((keys[i], tokens[j]))
    return pairs


def swapped_names(claim: str, passage: str) -> Swap | None:
    """A word the claim binds to some of its names that the passage binds only to others."""
    names = name_tokens(claim)
    if not names:
        return None
    told = _bindings(passage, names)
    present = {name for name, _ in told}
    given: dict[str, set[str]] = {}
    for name, word in _bindings(claim, names):
        given.setdefault(word, set()).add(name)
    for word, group in given.items():
        forms = lemmas(word)
        holders = {n for n, w in told if lemmas(w) & forms}
        if holders and not holders & group and group & present:
            return Swap(sorted(group & present)[0], word, sorted(holders)[0])
    return None
