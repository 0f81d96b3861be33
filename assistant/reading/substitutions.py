"""A claim that is its source with a word changed: it copies a sentence of the passage, in order,
but puts a word of its own where the sentence has another ("bought from" where it says "on loan
from", "a subsidiary of" where it says "in partnership with"). Someone who rewords a sentence
changes its build and many words; someone who changes what it says keeps the rest and swaps one.
Words are compared by lemma and WordNet synonym, so "purchased" for "bought" is no swap; numbers
are left to the quantity rules. Whether a swapped word means what it replaces is judged by the
caller (by meaning: a near-synonym WordNet lacks, "admission" for "entry", is no swap). Nothing
here knows a domain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from assistant.quantities import checked_quantities
from assistant.reading.additions import in_no_form
from assistant.reading.lexicon import (
    is_common_word,
    is_function_word,
    lemmas,
    lemmas_of,
    opposed,
    same_meaning,
)

MIN_COPIED = 0.7  # share of the claim's content words copied from the sentence, in order
MAX_SWAPPED = 2  # content words on either side of one swap
MIN_WORDS = 4  # a shorter claim is too short to tell a copy from a rewording
MAX_OTHER_CHANGES = 3  # words (function words too) changed besides the swap: more is a rewording
MIN_ADDED = 2  # content words the passage has in no form, added to a copy, that make an addition
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_PARTICLES = frozenset("up down out off over back".split())
# How much of a group a sentence speaks of, weakest first: "all of them" says more than "most of
# them"; a claim may say less than its source ("most" for "all"), not more.
_QUANTIFIER_RANK = {
    "none": 0, "no": 0, "few": 1, "some": 2, "several": 2, "many": 3, "most": 4,
    "all": 5, "every": 5, "each": 5, "both": 5,
}  # fmt: skip
# Verbs and words that attribute what follows to a source ("The study found that ...",
# "According to the article, ...", "..., the authors report"): framing, not an added fact.
_REPORTING = frozenset(
    "according say state find show report note write explain claim add article study "
    "author researcher data".split()
)


@dataclass(frozen=True)
class Swap:
    """Words of the claim put where the passage sentence has others, as written in each."""

    claim_text: str
    passage_text: str
    names: bool  # the claim's words are names ("Australia" for "Japan")


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int


def _words(text: str, *, content: bool = True) -> list[_Word]:
    """Words (content words only, by default) with where they stand, numbers (in digits or
    words) and the word that follows one (its unit: "pounds"; not after a year: "In 2016
    Google ...") left out. A loose "half" stays a word: no quantity rule compares it."""
    found = checked_quantities(text)
    spans = [(q.start, q.end) for q in found]
    spans += [(q.end, _unit_end(text, q.end)) for q in found if q.unit != "year"]
    return [
        _Word(m.group(), m.start(), m.end())
        for m in _WORD.finditer(text)
        if not (content and is_function_word(m.group()))
        and not any(start < m.end() and m.start() < end for start, end in spans)
    ]


def _next_word(text: str, end: int) -> re.Match[str] | None:
    """The word right after `end`, one space on."""
    return _WORD.match(text, end + 1) if text[end : end + 1] == " " else None


def _unit_end(text: str, end: int) -> int:
    after = _next_word(text, end)
    return after.end() if after is not None else end


@lru_cache(maxsize=256)
def _every_word(claim: str, sentence: str) -> tuple[list[str], list[str], SequenceMatcher[str]]:
    """Every word of each, function words included, lowercased, and how they align."""
    said = [w.text.lower() for w in _words(claim, content=False)]
    told = [w.text.lower() for w in _words(sentence, content=False)]
    return said, told, SequenceMatcher(None, said, told, autojunk=False)


def _other_changes(claim: str, sentence: str, swapped: int) -> int:
    """How many words of the claim, function words included, are not copied from the sentence,
    besides the `swapped` ones."""
    said, _, matcher = _every_word(claim, sentence)
    return len(said) - sum(b.size for b in matcher.get_matching_blocks()) - swapped


def _keys(said: list[_Word], told: list[_Word]) -> tuple[list[str], list[str]]:
    """One key per word, equal where a claim word is a passage word in some form."""
    told_keys = [min(lemmas(w.text)) for w in told]
    said_keys = []
    for word in said:
        forms = lemmas(word.text)
        pairs = zip(told, told_keys, strict=True)
        found = next((k for t, k in pairs if forms & lemmas(t.text)), None)
        if found is None:
            pairs = zip(told, told_keys, strict=True)
            found = next((k for t, k in pairs if same_meaning(word.text, t.text)), None)
        said_keys.append(found if found is not None else "+" + min(forms))
    return said_keys, told_keys


def _phrase(text: str, words: list[_Word]) -> str:
    """The words as written, each with a particle that follows it ("go up")."""
    out = []
    starts = {w.start for w in words}
    for word in words:
        after = _next_word(text, word.end)
        if (
            after is not None
            and after.group().lower() in _PARTICLES
            and after.start() not in starts
        ):
            out.append(f"{word.text} {after.group()}")
        else:
            out.append(word.text)
    return " ".join(out)


def _shortened(a: str, b: str) -> bool:
    """One word an abbreviation of the other ("Gov" / "Governor": capitalised, the same first
    letter, its letters in order) or two names of one stem ("Japan" / "Japanese": all but one
    letters of the shorter, and at least four, in common first)."""
    short, full = sorted((a, b), key=len)
    stem = max(4, len(short) - 1)  # "China" / "Chinese", not "Austria" / "Australia"
    names = short[:1].isupper() and full[:1].isupper()
    if names and len(short) >= 4 and short.lower()[:stem] == full.lower()[:stem]:
        return True
    letters = iter(full.lower())
    written_short = short[:1].isupper() and len(short) <= 4  # "Dr", "Gov", "Mt", not "cut"
    return written_short and short[0] == full[0] and all(ch in letters for ch in short.lower())


def _is_name(word: _Word, text: str) -> bool:
    starts = not text[: word.start].strip() or text[: word.start].rstrip()[-1] in ".!?\"'“"
    return word.text[0].isupper() and not (starts and is_common_word(word.text))


@lru_cache(maxsize=256)
def _alignment(claim: str, sentence: str) -> _Alignment | None:
    """The claim's content words aligned with the sentence's (read by both rules below)."""
    said, told = _words(claim), _words(sentence)
    if len(said) < MIN_WORDS or not told:
        return None
    said_keys, told_keys = _keys(said, told)
    matcher = SequenceMatcher(None, said_keys, told_keys, autojunk=False)
    copied = sum(block.size for block in matcher.get_matching_blocks())
    return _Alignment(said, told, said_keys, told_keys, matcher.get_opcodes(), copied)


@dataclass(frozen=True)
class _Alignment:
    said: list[_Word]
    told: list[_Word]
    said_keys: list[str]
    told_keys: list[str]
    opcodes: Sequence[tuple[str, int, int, int, int]]
    copied: int


def added_to_copy(claim: str, sentence: str, passage: str) -> str | None:
    """Words added to a claim that otherwise copies the sentence ("... to save about €4 million
    a year without any job losses"): MIN_ADDED content words in a row or more that the passage
    has in no form, the rest copied with at most MAX_OTHER_CHANGES other words changed."""
    aligned = _alignment(claim, sentence)
    if aligned is None:
        return None
    passage_words = [w.text for w in _words(passage)]
    known = lemmas_of(passage_words)
    claim_keys = set(aligned.said_keys)
    for tag, i1, i2, j1, j2 in aligned.opcodes:
        if tag not in ("delete", "replace"):  # (the claim is the first sequence)
            continue
        if any(aligned.told_keys[j] not in claim_keys for j in range(j1, j2)):
            continue  # the passage's words are dropped: a swap, not an addition
        run = aligned.said[i1:i2]
        new = [w for w in run if in_no_form(w.text, passage_words, known)]
        if len(new) < MIN_ADDED or len(new) < len(run):
            continue
        if any(lemmas(w.text) & _REPORTING for w in run):
            continue  # "The study found that ...": who says it, not what is said
        if aligned.copied < MIN_COPIED * (len(aligned.said) - len(run)):
            return None
        if _other_changes(claim, sentence, len(run)) <= MAX_OTHER_CHANGES:
            return _phrase(claim, new)
    return None


def swapped_quantifier(claim: str, sentence: str) -> Swap | None:
    """ "all" where the sentence says "most" (or "some", "few", ...) in a claim that otherwise
    copies it, with at most MAX_OTHER_CHANGES other words changed."""
    said, told, matcher = _every_word(claim, sentence)
    if len(said) < MIN_WORDS:
        return None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and i2 - i1 == 1 and j2 - j1 == 1:
            put, where = said[i1], told[j1]
            stronger = _QUANTIFIER_RANK.get(put, -1) > _QUANTIFIER_RANK.get(where, 99)
            if stronger and _other_changes(claim, sentence, 1) <= MAX_OTHER_CHANGES:
                return Swap(put, where, names=False)
    return None


def swapped_words(claim: str, sentence: str) -> Swap | None:
    """The first swap in a claim that otherwise copies the sentence (MIN_COPIED of its content
    words, in order), or None."""
    aligned = _alignment(claim, sentence)
    if aligned is None or aligned.copied < MIN_COPIED * len(aligned.said):
        return None
    said, told, said_keys, told_keys = (
        aligned.said, aligned.told, aligned.said_keys, aligned.told_keys
    )  # fmt: skip
    claim_keys = set(said_keys)
    for tag, i1, i2, j1, j2 in aligned.opcodes:
        if tag != "replace" or i2 - i1 > MAX_SWAPPED or j2 - j1 > MAX_SWAPPED:
            continue
        new = [said[i] for i in range(i1, i2) if said_keys[i].startswith("+")]
        dropped = [told[j] for j in range(j1, j2) if told_keys[j] not in claim_keys]
        if any(opposed(a.text, b.text) for a in new for b in dropped):
            continue  # "not open" for "closed": the opposition rules read it
        if any(_shortened(a.text, b.text) for a in new for b in dropped):
            continue  # "Dr" for "Doctor", "Japanese" for "Japan": the same, written otherwise
        if new and dropped and _other_changes(claim, sentence, len(new)) <= MAX_OTHER_CHANGES:
            names = any(_is_name(w, claim) for w in new) and any(
                _is_name(w, sentence) for w in dropped
            )
            return Swap(_phrase(claim, new), _phrase(sentence, dropped), names)
    return None
