"""What a question asks: its content words, whether it is broad (why/how/which-countries/summarise)
and the parts it asks several of (the kind of thing it asks for is in `answer_types`). Generic
English only: nothing here knows the shipped article's subject."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.generation.answer_types import answer_type

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


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
    r"^(and\s+)?(why|how(?!\s+(many|much|long|old|far|often|big|large|high|tall|soon|deep|wide"
    r"|fast|heavy|hot|cold|strong|early|late|close|quickly|likely)\b))\b"
    r"|\b(which|what)\s+(\w+\s+)?(countries|nations|measures|steps|ways|actions|means|policies|"
    r"factors|reasons|partners|groups|initiatives|efforts|things|kinds|types|areas|options)\b"
    r"|\b(list|outline|describe|explain|lay out|sum up)\b"
    r"|\b(overview|summar\w*|main points|in what ways|chronology|timeline|what evidence"
    r"|what (role|part)s?)\b"
    r"|\bwhat does the \w+ say\b"
    r"|^(and\s+)?(which|what)\s+(\w+\s+)?(?!(is|was|has|does|its|this|thus|us|plus|news)\b)"
    r"\w{2,}(?<![isu])s\b"
    r"(?!\s+(is|was)\b)"
    r"|^what\s+(is|are|has|have)\s+.+\s+(doing|done)\b",
    re.IGNORECASE,
)
_PART_SPLIT = re.compile(
    r"\?\s+(?=\S)|,?\s+and\s+(?=(what|when|where|who|whom|which|why|how|did|does|do|is|are|was|were|has|have)\b)",
    re.IGNORECASE,
)


def is_broad(question: str) -> bool:
    """Why/how/which-X/list/summarise questions: their answer gathers several points. A question
    asking for a date, a number or a name ("When did they outline ...?", "Which country does
    the article describe as ...?") is not, whatever verb it uses."""
    q = question.strip()
    return bool(_BROAD.search(q)) and (answer_type(q) is None or _ASKS_LIST.search(q) is not None)


# "List the dates ...", "summarise the key dates": several things of one kind are several points.
_ASKS_LIST = re.compile(
    r"^(please\s+|(can|could|would) you\s+)?(list|outline|lay out)\b|\b(summar\w*|chronology|timeline)\b",
    re.IGNORECASE,
)


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
