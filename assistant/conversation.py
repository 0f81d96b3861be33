"""Conversation handling without an LLM: spotting follow-ups and making a standalone query."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from assistant.errors import BadQuestion
from assistant.types import Turn

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ANAPHORA = frozenset(
    "it its they them their that this those these he she him her his there then one "
    "ones same else also too".split()
)
_OPENERS = ("and ", "what about", "how about", "and?", "why?", "when?", "how?", "so ", "but ")
_FUNCTION_WORDS = frozenset(
    "a an the what when where who whom which why how is are was were be been do does "
    "did of to in on for with by at from and or much many about can could would will "
    "has have had set up s".split()
)


_JOINERS = {"\u200c", "\u200d"}  # ZWNJ/ZWJ: part of Persian, Indic and emoji spelling
# Raw text may exceed the limit by this much (whitespace and invisible characters that cleaning
# removes); beyond it a question is refused before it is read character by character.
RAW_FACTOR = 4
RAW_FLOOR = 4096


def clean_char(ch: str) -> str:
    """One character of a question as cleaning leaves it: a space, nothing, or itself."""
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):  # control characters, lone surrogates: a space
        return " "
    if category == "Cf" and ch not in _JOINERS:  # invisible format characters (bidi overrides,
        return ""  # zero-width space, soft hyphen): dropped
    return ch  # everything else, including characters newer than this Python's Unicode tables


def clean_question(text: str, max_chars: int) -> str:
    """Control characters removed and whitespace collapsed; empty or over-long questions refused.

    Any string is either cleaned or refused with a BadQuestion (one line): never another error.
    Text far over the limit (RAW_FACTOR times it, at least RAW_FLOOR characters) is refused
    before cleaning, so a huge question costs nothing to refuse.
    """
    if len(text) > max(max_chars * RAW_FACTOR, RAW_FLOOR):
        raise _too_long(len(text), max_chars)
    text = "".join(clean_char(ch) for ch in text)
    text = " ".join(text.split())
    if not text:
        raise BadQuestion("the question is empty: type a question about the knowledge base")
    if len(text) > max_chars:
        raise _too_long(len(text), max_chars)
    return text


def _too_long(length: int, max_chars: int) -> BadQuestion:
    """The one-line refusal of a question `length` characters long."""
    return BadQuestion(f"the question is {length:,} characters long; the limit is {max_chars:,}")


def recent_history(history: Sequence[Turn], max_turns: int, max_turn_chars: int) -> list[Turn]:
    """The most recent turns that fit: at most `max_turns`, none longer than `max_turn_chars`.

    Older turns are dropped, never refused: a follow-up needs only the last few. Walking back from
    the newest turn, the history stops at the first turn that is too long, so what is kept is
    always an unbroken run of the latest turns.
    """
    kept: list[Turn] = []
    for turn in reversed(history):
        if len(kept) >= max_turns or len(turn.content) > max_turn_chars:
            break
        kept.append(turn)
    kept.reverse()
    return kept


def is_follow_up(question: str, history: list[Turn]) -> bool:
    """A question that leans on the conversation: pronouns, ellipsis, or too few words of its own."""
    if not any(t.role == "user" for t in history):
        return False
    lowered = question.lower().strip()
    words = _WORD.findall(lowered)
    if lowered.startswith(_OPENERS) or any(w in _ANAPHORA for w in words):
        return True
    content = [w for w in words if w not in _FUNCTION_WORDS]
    return len(content) <= 2


def names_its_own_topic(question: str) -> bool:
    """No pronoun or opener leaning on earlier turns, and content words of its own ("What is the
    capital of Peru?"): even when short enough to count as a follow-up, it must be relevant alone."""
    lowered = question.lower().strip()
    words = _WORD.findall(lowered)
    if lowered.startswith(_OPENERS) or any(w in _ANAPHORA for w in words):
        return False
    return len([w for w in words if w not in _FUNCTION_WORDS]) >= 2


def last_user_turn(history: list[Turn]) -> str:
    for turn in reversed(history):
        if turn.role == "user":
            return turn.content
    return ""


def standalone_query(question: str, history: list[Turn]) -> str:
    """For retrieval: a follow-up carries the previous question with it."""
    if is_follow_up(question, history):
        return f"{last_user_turn(history)} {question}".strip()
    return question
