"""What a question asks: its content words, the kind of thing it asks for (a date, a number, a
person), whether it is broad (why/how/which-countries/summarise) and the parts it asks several of.
Generic English only: nothing here knows the shipped article's subject."""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    function_words = "what when where which who whom whose why how up did does do about according"
    return frozenset(STOPWORDS_EN) | set(function_words.split())


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=16384)
def content_terms(text: str) -> frozenset[str]:
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return frozenset(_stemmer().stemWords(words))


# A capitalised word that does not open the sentence (a name of any kind).
_NAME = re.compile(r"(?<![.!?] )(?<!^)(?<![.!?][\"“‘'] )\b[A-Z][\w’'-]+")
_ROLES = (
    r"(leader|president|minister|person|official|politician|premier|chancellor|secretary"
    r"|king|queen|emperor|commander|ambassador|spokesman|spokeswoman|spokesperson"
    r"|chairman|chair|director|founder|author|writer|inventor|ceo|mayor|governor)"
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
    r"|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|dozen|half|double"
    r"|twice|triple|per ?cent|percent"
)
_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH = re.compile(_MONTHS)
_ANY_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.IGNORECASE)
_DATE = re.compile(
    rf"\b(1\d\d\d|20\d\d|\d+(st|nd|rd|th)? century|\d{{2,4}}s|{_MONTHS}|(last|this|next|that"
    r"|the same|previous|following) (year|month|week|decade|century)|spring|summer|autumn|fall"
    r"|winter|yesterday|today|tomorrow|ago|era|reign|dynasty|decade)\b"
)


def answer_type(question: str) -> str | None:
    """The kind of thing a question asks for, when its wording says so."""
    q = question.lower().strip()
    lead = r"^(and |but |so )?"
    if re.match(
        lead + r"(when (is|was|were|are|did|does|do|will|would|has|have|had|can|could|should)\b"
        r"|when and\b|since when|by when|(in|on|by|from|until|at) (what|which) "
        r"(year|month|date|day|decade|century|time)\b|(what|which) (year|month|date|day|decade"
        r"|century)\b)",
        q,
    ):
        return "date"
    if re.search(
        r"\b(how many|how much|what percentage|what share|what fraction|by how much)\b", q
    ):
        return "count" if "how many" in q else "number"
    # "Which Japanese minister ...?", not "What is the official ...?" (a role word as adjective)
    copula = r"(?!(is|are|was|were|do|does|did|has|have|had)\b)"
    if re.match(lead + rf"((which|what) {copula}(\w+ ){{0,3}}{_ROLES}s?|who\b.*\b{_ROLES}s?)\b", q):
        return "person"
    if re.match(lead + r"(who|whom)\b", q):
        return "name"
    return None


def type_bonus(kind: str | None, sentence: str, question: str = "") -> float:
    """A small reward when the sentence holds what is asked for, a penalty when it cannot."""
    if kind is None:
        return 0.0
    return 0.05 if holds_answer_type(kind, sentence, question) else -0.1


def holds_answer_type(kind: str | None, sentence: str, question: str = "") -> bool:
    """Whether the sentence holds something of the kind asked for that the question does not.

    True when the question asks for no particular kind. An answer repeats nothing of its
    question: a year, a number or a name the question already names does not count.
    """
    if kind is None:
        return True
    if kind == "date":
        pattern, text = _DATE, sentence
    elif kind == "count":
        pattern, text = _ANY_NUMBER, _YEAR.sub("", sentence)
    elif kind == "number":
        pattern, text = _ANY_NUMBER, sentence
    else:  # "person" or "name"
        pattern, text = _NAME, sentence
    asked = question.lower()
    found = [m.group(0) for m in pattern.finditer(text)]
    if kind in ("person", "name"):  # a person's name: not an acronym, a month, or the question's
        asked_words = {w[:5] for w in _TOKEN.findall(asked)}
        found = [
            f
            for f in found
            if not f.isupper()
            and not _MONTH.fullmatch(f)
            and f.lower()[:5] not in asked_words
            and (kind == "name" or ("-" not in f and _could_name_a_person(f, text)))
        ]
        return bool(found)
    return any(f.lower() not in asked for f in found)


_TITLED = re.compile(
    r"\b(mr|mrs|ms|dr|prof|professor|sir|dame|lord|lady|president|minister|governor|chancellor"
    r"|senator|king|queen|mayor|judge|rector)\.?\s+$",
    re.IGNORECASE,
)


def _could_name_a_person(word: str, sentence: str) -> bool:
    """Not a common English word ("Kishida"), or after a title or role ("Governor Ruiz",
    "Dr Marsh"): "Chinese", "North" or "Development" name nobody."""
    from assistant.reading.lexicon import is_common_word

    if not is_common_word(word.strip("’'")):
        return True
    at = sentence.find(word)
    return at > 0 and bool(_TITLED.search(sentence[:at]))


ANAPHORIC_START = re.compile(r"^(This|These|That|Those|It|They|Such|He|She|Its|Their)\b")
ASKS_OPINION = re.compile(
    r"\b(do you think|in your (opinion|view)|what do you (think|believe|feel)|your (opinion|view)"
    r"|^(should|ought|would it be (wise|better))\b|\bwhat should\b)",
    re.IGNORECASE,
)
TOPIC_SHIFT = re.compile(
    r"^\s*(and\s+)?((what|how)\s+about|with|for|in)\b|^\s*and\b", re.IGNORECASE
)
ASKS_FOR_MORE = re.compile(
    r"\b(else|other|another|besides|apart from|in addition)\b", re.IGNORECASE
)


_BROAD = re.compile(
    r"^(and\s+)?(why|how(?!\s+(many|much|long|old|far|often|big|large|high|tall|soon)\b))\b"
    r"|\b(which|what)\s+(\w+\s+)?(countries|nations|measures|steps|ways|actions|means|policies|"
    r"factors|reasons|partners|groups|initiatives|efforts|things|kinds|types|areas|options)\b"
    r"|\b(list|overview|summar\w*|outline|describe|explain|main points|in what ways|lay out"
    r"|chronology|timeline|what evidence|what (role|part)s?)\b"
    r"|\bwhat does the \w+ say\b"
    r"|^(and\s+)?(which|what)\s+(\w+\s+)?(?!(is|was|has|does|its|this|thus|us|plus|news)\b)\w{3,}s\b"
    r"(?!\s+(is|was)\b)"
    r"|^what\s+(is|are|has|have)\s+.+\s+(doing|done)\b",
    re.IGNORECASE,
)
_PART_SPLIT = re.compile(
    r"\?\s+(?=\S)|,?\s+and\s+(?=(what|when|where|who|whom|which|why|how|did|does|do|is|are|was|were|has|have)\b)",
    re.IGNORECASE,
)


def is_broad(question: str) -> bool:
    """Why/how/which-X/list/summarise questions: their answer gathers several points."""
    return bool(_BROAD.search(question.strip()))


def split_question(question: str) -> list[str]:
    """The parts of a question that asks several things ("When ..., and how much ...?")."""
    pieces = [p for p in _PART_SPLIT.split(question.strip()) if p]
    parts: list[str] = []
    for piece in pieces:
        piece = piece.strip(" ,;")
        if len(piece.split()) >= 3 and piece.lower() not in _PART_WORDS:
            parts.append(piece.rstrip("?") + "?")
    return parts


_PART_WORDS = frozenset(
    "what when where who whom which why how did does do is are was were has have".split()
)


def missing_note(part: str) -> str:
    """The plain statement of a part the sources don't answer."""
    return f'The sources don\'t answer "{part}"'.rstrip() + "."
