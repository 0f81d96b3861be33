"""Who is said to be what: a claim that gives the word a passage puts before one of its names to
another of them ("goalkeeper Kwame Asante" where the passage says "striker Kwame Asante ...,
while goalkeeper Tom Hartigan ..."; "villages such as Eastgate" where it says "villages such as
Brockley Green ..., change at Eastgate").

A name is *bound* to the nearest content word before it in its clause (a role, a title, a kind:
function words and other names between are passed over; a comma, a preposition ("exercises in
Ibaraki", "praised by coach Dana Wells") or a verb ends the search, while "such as" and "like"
do not: "villages such as Eastgate"). The
claim swaps names when a word it binds to some of its names is bound, in the passage, only to
others ("Dr Leon Abara of Westfield University" binds "Dr" to all three names). Names are the
claim's capitalised words and any capitalised word inside a sentence of the passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.claims import NAME_STOPWORDS, WORD_TOKEN, name_in, name_tokens, passage_words
from assistant.clauses import CLAUSE_BREAK, sentences_of
from assistant.reading.lexicon import is_function_word, lemmas, plainly_a_verb

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*\d|\d|[.!?,;:()\"“”]")
_ENDS = frozenset(".!?")
_POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class Swap:
    """A word of the claim bound to `name` that the passage binds to `other`."""

    name: str
    word: str
    other: str


# Prepositions relate a name to another thing ("exercises in Ibaraki", "exercises with India"),
# not give it a role: the search stops there, except at words that introduce an example or an
# apposition ("villages such as Eastgate", "partners like Australia").
_PREPOSITIONS = frozenset(
    "in at on to from with by for of into onto over under near across through between among "
    "against during after before since until within without about around beside off along toward "
    "towards upon via".split()
)


def _passes_over(token: str) -> bool:
    low = token.lower()
    return is_function_word(token) and low not in _PREPOSITIONS


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
        j = i - 1
        while j >= 0 and (is_name[j] or _passes_over(tokens[j])):
            j -= 1
        if j >= 0 and tokens[j][0].isalpha() and not plainly_a_verb(tokens[j]):
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


# A run of capitalised words, with "of" or "&" inside ("University of Eastfold", "Marrin & Voss")
_NAME_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|&)\s+)?[A-Z][\w’'-]*)*")
_PASSIVE = re.compile(r"\b(by|on behalf of)\b", re.IGNORECASE)
MIN_SHARED_BETWEEN = 0.75


def _runs(text: str) -> list[tuple[frozenset[str], int, int]]:
    """The names of the text (runs of capitalised words, opening stopwords dropped): the words of
    each, lowercased, and where it stands."""
    runs: list[tuple[frozenset[str], int, int]] = []
    for m in _NAME_RUN.finditer(text):
        words = [_POSSESSIVE.sub("", w).lower() for w in m.group(0).split()]
        words = [w for w in words if w not in NAME_STOPWORDS and w not in ("of", "&")]
        if words:
            runs.append((frozenset(words), m.start(), m.end()))
    return runs


def _between(text: str, a: tuple[int, int], b: tuple[int, int]) -> tuple[str, bool]:
    """What stands between two places of a text, and whether a comes first."""
    first, second = (a, b) if a[0] < b[0] else (b, a)
    return text[first[1] : second[0]], a[0] < b[0]


def reversed_names(claim: str, window: str) -> tuple[str, str] | None:
    """Two names the claim gives the other way round, with what stands between them the same
    ("Wierzba won ..., ahead of ... Sarandou" for "Sarandou won ..., ahead of ... Wierzba"): the
    pair, as the claim writes them. A turn into or out of the passive ("was built by") is no
    reversal."""
    from assistant.generation.question_kinds import content_terms

    told = _runs(window)

    def place(words: frozenset[str]) -> tuple[int, int] | None:
        found = [(s, e) for ws, s, e in told if ws & words]
        return found[0] if len(found) == 1 else None

    said = [(ws, s, e, place(ws)) for ws, s, e in _runs(claim)]
    for i, (words_a, sa, ea, wa) in enumerate(said):
        for words_b, sb, eb, wb in said[i + 1 :]:
            if wa is None or wb is None or wa == wb or words_a & words_b:
                continue
            between_claim, claim_order = _between(claim, (sa, ea), (sb, eb))
            between_window, window_order = _between(window, wa, wb)
            if claim_order == window_order:
                continue
            if bool(_PASSIVE.search(between_claim)) != bool(_PASSIVE.search(between_window)):
                continue
            terms_c, terms_w = content_terms(between_claim), content_terms(between_window)
            if (
                terms_c
                and terms_w
                and len(terms_c & terms_w) / len(terms_c | terms_w) >= MIN_SHARED_BETWEEN
            ):
                return claim[sa:ea], claim[sb:eb]
    return None


def moved_names(claim: str, window: str, passage: str) -> list[str]:
    """The claim's names (as written) that its passage gives, but not in `window`, the sentences
    that say what the claim says, put in place of a name the window gives and the claim leaves
    out ("Finance director Alan Roe said ..." where it says "Chair Gwen Pryce said ..."). When
    the window names nothing the claim leaves out, or a name's clause shares more words with a
    sentence giving that name than with the window, the name came with a fact of its own
    ("Dunevolt, the first customer of Lumatrace, ...": a summary joining sentences)."""
    words = passage_words(window)
    elsewhere = {name for name in name_tokens(claim) if not name_in(name, words)}
    elsewhere -= _joined_from_elsewhere(claim, elsewhere, window, passage)
    if not elsewhere:
        return []
    claimed = passage_words(claim)
    if all(name_in(name, claimed) for name in name_tokens(window)):
        return []  # no name of the window left out: nothing was put in its place
    return [
        w
        for w in dict.fromkeys(WORD_TOKEN.findall(claim))
        if passage_words(w) & elsewhere  # "Norrhaven's" for "norrhaven"
    ]


def _joined_from_elsewhere(claim: str, names: set[str], window: str, passage: str) -> set[str]:
    """Names whose clause of the claim shares at least two more content words with a sentence
    of the passage that gives the name, and more than with the window ("..., and the company
    intends to seek European approval")."""
    from assistant.generation.question_kinds import content_terms

    if not names:
        return set()
    sentences = sentences_of(passage)
    window_terms = content_terms(window)
    joined: set[str] = set()
    for clause in CLAUSE_BREAK.split(claim):
        clause_names = {n for n in name_tokens(" " + clause) if n in names}
        terms = content_terms(clause) - clause_names
        for name in clause_names:
            givers = [s for s in sentences if name_in(name, passage_words(s))]
            shared = max((len(terms & content_terms(s)) for s in givers), default=0)
            if shared >= 2 and shared > len(terms & window_terms):
                joined.add(name)
    return joined
