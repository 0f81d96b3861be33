"""Rewrites of English sentences and questions that the reader's training data is made of.

This module owns the small, seeded text operations: splitting sentences, finding names and
numbers, spelling numbers in words, and the changes that make a sentence say something else (a
number, year or name swapped, a negation flipped, a word swapped for its antonym) or something
it entails (a number respelled, a clause dropped). Every random choice comes from the ``rng``
passed in, so the same seed gives the same rewrites. The antonym and negation lists are general
English, not words of any one domain.
"""

from __future__ import annotations

import random
import re

# General English opposites (both directions are used).
_ANTONYMS = [
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("increases", "decreases"),
    ("raise", "lower"),
    ("raised", "lowered"),
    ("raises", "lowers"),
    ("rise", "fall"),
    ("rose", "fell"),
    ("rising", "falling"),
    ("more", "less"),
    ("most", "least"),
    ("largest", "smallest"),
    ("larger", "smaller"),
    ("biggest", "smallest"),
    ("highest", "lowest"),
    ("higher", "lower"),
    ("first", "last"),
    ("before", "after"),
    ("earliest", "latest"),
    ("earlier", "later"),
    ("early", "late"),
    ("strengthen", "weaken"),
    ("strengthened", "weakened"),
    ("strengthening", "weakening"),
    ("expand", "reduce"),
    ("expanded", "reduced"),
    ("expanding", "reducing"),
    ("gain", "lose"),
    ("gained", "lost"),
    ("win", "lose"),
    ("won", "lost"),
    ("accept", "reject"),
    ("accepted", "rejected"),
    ("allow", "forbid"),
    ("allowed", "banned"),
    ("support", "oppose"),
    ("supported", "opposed"),
    ("supports", "opposes"),
    ("north", "south"),
    ("east", "west"),
    ("northern", "southern"),
    ("eastern", "western"),
    ("above", "below"),
    ("inside", "outside"),
    ("major", "minor"),
    ("maximum", "minimum"),
    ("positive", "negative"),
    ("success", "failure"),
    ("successful", "unsuccessful"),
    ("legal", "illegal"),
    ("public", "private"),
    ("old", "new"),
    ("older", "newer"),
    ("oldest", "newest"),
    ("long", "short"),
    ("longest", "shortest"),
    ("start", "end"),
    ("started", "ended"),
    ("began", "ended"),
    ("open", "closed"),
    ("opened", "closed"),
    ("join", "leave"),
    ("joined", "left"),
    ("member", "partner"),
    ("members", "partners"),
    ("import", "export"),
    ("imports", "exports"),
    ("buy", "sell"),
    ("bought", "sold"),
    ("cheaper", "dearer"),
    ("fewer", "more"),
    ("many", "few"),
    ("always", "never"),
    ("all", "none"),
    ("entered", "left"),
    ("victory", "defeat"),
    ("agreed", "refused"),
]
ANTONYM: dict[str, str] = {}
for _a, _b in _ANTONYMS:
    ANTONYM.setdefault(_a, _b)
    ANTONYM.setdefault(_b, _a)

NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+(?:\.\d+)?\b")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_AUX_NEG = [
    (r"\bis\b", "is not"),
    (r"\bwas\b", "was not"),
    (r"\bare\b", "are not"),
    (r"\bwere\b", "were not"),
    (r"\bhas\b", "has not"),
    (r"\bhave\b", "have not"),
    (r"\bhad\b", "had not"),
    (r"\bwill\b", "will not"),
    (r"\bcan\b", "cannot"),
    (r"\bcould\b", "could not"),
    (r"\bwould\b", "would not"),
    (r"\bdid\b", "did not"),
    (r"\bdoes\b", "does not"),
    (r"\bdo\b", "do not"),
    (r"\bshould\b", "should not"),
]
_UNNEG = [
    (r"\s+not\b", ""),
    (r"\bcannot\b", "can"),
    (r"n't\b", ""),
    (r"\bnever\b", "always"),
    (r"\bno longer\b", "still"),
]
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_FIRST_WORDS = {
    "what",
    "which",
    "who",
    "when",
    "where",
    "why",
    "how",
    "the",
    "in",
    "on",
    "a",
    "an",
    "by",
    "during",
    "after",
    "before",
    "according",
    "since",
    "for",
    "at",
    "from",
    "of",
    "to",
    "as",
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "there",
    "many",
    "some",
    "most",
    "while",
}


def int_to_words(n: int) -> str:
    """English words for 0 <= n < 1,000,000 ("sixty-five", "one hundred and twenty")."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens - 2] + ("" if unit == 0 else "-" + _UNITS[unit])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _UNITS[hundreds] + " hundred" + ("" if rest == 0 else " and " + int_to_words(rest))
    thousands, rest = divmod(n, 1000)
    tail = "" if rest == 0 else (" and " if rest < 100 else " ") + int_to_words(rest)
    return int_to_words(thousands) + " thousand" + tail


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans by a simple rule (fast; training only)."""
    spans, start = [], 0
    for m in _SENT.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def sentence_at(text: str, offset: int) -> tuple[int, int] | None:
    for s, e in split_sentences(text):
        if s <= offset < e:
            return s, e
    return None


_LEFT_OVER = re.compile(
    r"(\b(in|on|at|by|of|for|from|to|with|about|as|than|into|during|since|until|the|a|an|his"
    r"|her|its|their|some|around|nearly|over|under|almost|roughly|approximately)\s*)+$",
    re.IGNORECASE,
)


def without_answer(context: str, span: tuple[int, int], start: int, answer: str) -> str | None:
    """The sentence ``context[span]`` with its answer (at ``start``) taken out, with the word
    that led into it ("in 1998", "the Eiffel Tower"): on topic, sharing the question's words,
    but no longer holding what is asked. None when the answer opens the sentence, is not in it,
    appears twice, or too little is left."""
    s, e = span
    end = start + len(answer)
    if not (s < start and end <= e) or not context[s:start].strip():
        return None
    before = _LEFT_OVER.sub("", context[s:start].rstrip()).rstrip(" ,;:(")
    after = context[end:e].lstrip(" )")
    if not before or answer in before or answer in after:
        return None
    cut = f"{before} {after}".strip() if after[:1].isalnum() else before + after
    cut = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s{2,}", " ", cut)).strip()
    cut = re.sub(r",\s*([.;:!?])", r"\1", cut)
    if len(cut.split()) < 6:
        return None
    return cut if cut[-1] in ".!?" else cut + "."


def cut_elsewhere(
    context: str, span: tuple[int, int], start: int, answer: str, question: str, rng: random.Random
) -> str | None:
    """The same cut as :func:`without_answer`, of a name or number of the sentence that is
    neither its answer nor in the question: the sentence still answers (the control that keeps
    a model from learning "something was cut" instead of "the answer is gone")."""
    s, e = span
    sentence = context[s:e]
    spots = [
        (s + m.start(), m.group(0))
        for pattern in (NUMBER, _NAME)
        for m in pattern.finditer(sentence)
        if (s + m.end() <= start or s + m.start() >= start + len(answer))
        and m.group(0).lower() not in question.lower()
    ]
    rng.shuffle(spots)
    for at, text in spots:
        cut = without_answer(context, span, at, text)
        if cut and answer in cut:
            return cut
    return None


def names_in(text: str) -> list[str]:
    """Capitalised word runs that are not just a sentence's first word."""
    found = []
    for m in _NAME.finditer(text):
        if m.group(0).lower() in _FIRST_WORDS:
            continue
        found.append(m.group(0))
    return found


def _sub_once(pattern: str, repl: str, text: str, rng: random.Random) -> str | None:
    matches = list(re.finditer(pattern, text))
    if not matches:
        return None
    m = rng.choice(matches)
    return text[: m.start()] + repl + text[m.end() :]


def change_number(text: str, rng: random.Random, *, in_words: bool) -> str | None:
    """Another number or year in place of one of the text's numbers."""
    matches = list(NUMBER.finditer(text))
    if not matches:
        return None
    m = rng.choice(matches)
    raw = m.group(0).replace(",", "")
    if _YEAR.fullmatch(raw):
        new = str(int(raw) + rng.choice([-3, -2, -1, 1, 2, 3, 10]))
    else:
        try:
            value = float(raw)
        except ValueError:
            return None
        if value.is_integer():
            v = int(value)
            candidates = [v + d for d in (-2, -1, 1, 2, 5, 10) if v + d >= 0 and v + d != v]
            candidates += [v * 2, max(v // 2, 1)] if v > 2 else []
            new_value = rng.choice([c for c in candidates if c != v] or [v + 1])
            if in_words and new_value < 1000:
                new = int_to_words(new_value)
            else:
                new = f"{new_value:,}" if "," in m.group(0) else str(new_value)
        else:
            new = f"{value * rng.choice([0.5, 1.5, 2.0]):.1f}"
            if new == raw:
                return None
    return text[: m.start()] + new + text[m.end() :]


def respell_number(text: str, rng: random.Random) -> str | None:
    """The same value in words ("65" -> "sixty-five"); None when there is no small number."""
    matches = [
        m
        for m in NUMBER.finditer(text)
        if "." not in m.group(0)
        and not _YEAR.fullmatch(m.group(0))
        and int(m.group(0).replace(",", "")) < 1000
    ]
    if not matches:
        return None
    m = rng.choice(matches)
    words = int_to_words(int(m.group(0).replace(",", "")))
    return text[: m.start()] + words + text[m.end() :]


def swap_name(text: str, pool: list[str], rng: random.Random) -> str | None:
    """One name of the text replaced by another name from pool."""
    own = names_in(text)
    if not own:
        return None
    target = rng.choice(own)
    others = [p for p in pool if p != target and p not in text and p.lower() != target.lower()]
    if not others:
        return None
    return text.replace(target, rng.choice(others), 1)


def swap_antonym(text: str, rng: random.Random) -> str | None:
    words = [m for m in re.finditer(r"\b[a-z]+\b", text) if m.group(0) in ANTONYM]
    if not words:
        return None
    m = rng.choice(words)
    return text[: m.start()] + ANTONYM[m.group(0)] + text[m.end() :]


def flip_negation(text: str, rng: random.Random) -> str | None:
    """Remove a negation when there is one, else negate an auxiliary verb."""
    for pattern, repl in _UNNEG:
        if re.search(pattern, text):
            flipped = _sub_once(pattern, repl, text, rng)
            if flipped and flipped != text:
                return flipped
    options = [(p, r) for p, r in _AUX_NEG if re.search(p, text)]
    if not options:
        return None
    pattern, repl = rng.choice(options)
    return _sub_once(pattern, repl, text, rng)


def unanswerable_variant(question: str, names: list[str], rng: random.Random) -> str | None:
    """The question with a name, number, negation or antonym changed, so that the sentence
    answering the original no longer answers it; None when no change applies."""
    makers = [
        lambda: swap_name(question, names, rng),
        lambda: change_number(question, rng, in_words=False),
        lambda: flip_negation(question, rng),
        lambda: swap_antonym(question, rng),
    ]
    rng.shuffle(makers)
    for make in makers:
        out = make()
        if out and out != question:
            return out
    return None


def content_words(text: str) -> set[str]:
    """The text's lowercased words and numbers longer than three characters."""
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3}


_CLAUSE_STARTS = frozenset(
    "which who whom whose where that when while although though and but or as because since "
    "including such".split()
)


def shorten(text: str, rng: random.Random) -> str | None:
    """A part of a sentence it entails: a leading phrase or a trailing clause dropped."""
    pieces = [p for p in re.split(r",\s+", text.rstrip(".")) if p]
    if len(pieces) < 2:
        return None
    kept = ", ".join(pieces[1:]) if rng.random() < 0.5 else ", ".join(pieces[:-1])
    words = kept.split()
    if len(words) < 6 or not re.match(r"[A-Za-z]", kept):
        return None
    if words[0].lower() in _CLAUSE_STARTS:
        return None
    return kept[0].upper() + kept[1:] + "."


def detokenize(text: str) -> str:
    """Tokenised corpus text (MultiNLI's "it 's ( so )") as ordinary prose ("it's (so)")."""
    text = re.sub(r" ([.,!?;:%)'])", r"\1", text)
    text = re.sub(r"([($]) ", r"\1", text)
    return text.replace(" n't", "n't").replace(" 's", "'s").replace("`` ", '"').replace(" ''", '"')
