"""The kind of thing a question asks for (a date, a day, a count, a share, a person, a place) and
whether a sentence holds one. Generic English only: nothing here knows the shipped article.

A sentence that holds nothing of the asked kind cannot answer the question, however many words
it shares with it: "How many personnel ...?" is not answered by "65 per cent higher", "On what
date ...?" not by "in June 2022", "What share of ...?" not by "in 2019".
"""

from __future__ import annotations

import re

from assistant.quantities import FRACTION, PERCENT, YEAR, Quantity, quantities

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# A capitalised word that does not open the sentence (a name of any kind).
_NAME = re.compile(r"(?<![.!?] )(?<!^)(?<![.!?][\"“‘'] )\b[A-Z][\w’'-]+")
_ROLES = (
    r"(leader|president|minister|person|official|politician|premier|chancellor|secretary"
    r"|king|queen|emperor|commander|ambassador|spokesman|spokeswoman|spokesperson"
    r"|chairman|chair|director|founder|author|writer|inventor|ceo|mayor|governor)"
)
_PLACES = (
    r"(city|cities|towns?|country|countries|regions?|places?|prefectures?|states?|provinces?"
    r"|islands?|nations?)"
)
_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH = re.compile(_MONTHS)
_WEEKDAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_DATE = re.compile(
    rf"\b(1\d\d\d|20\d\d|\d+(st|nd|rd|th)? century|\d{{2,4}}s|{_MONTHS}|(last|this|next|that"
    r"|the same|previous|following) (year|month|week|decade|century)|spring|summer|autumn|fall"
    r"|winter|yesterday|today|tomorrow|ago|era|reign|dynasty|decade|Monday|Tuesday|Wednesday"
    r"|Thursday|Friday|Saturday|Sunday|weekdays?|weekends?|noon|midnight|\d{1,2}(:\d\d)?\s?[ap]m"
    r"|\d{1,2}:\d\d|o'clock)\b"
)
# A day, not only a year or a month: "5 November", "November 5th", "on Tuesday", "12/03/2024".
_DAY = re.compile(
    rf"\b(\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?({_MONTHS})|({_MONTHS})\s+\d{{1,2}}(st|nd|rd|th)?\b"
    rf"|{_WEEKDAYS}|yesterday|today|tomorrow|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}})"
)
_MONTH_OR_DAY = re.compile(rf"\b({_MONTHS}|(last|this|next|that|the same) month)\b")
# Amounts that are no count: "how many ...?" is not answered by "half" or "twice".
_SHARE_WORDS = re.compile(r"\b(half|quarter|third|majority|minority|most|all|none)\b", re.I)
_CHANGE_WORDS = re.compile(
    r"\b(half|halved|double|doubled|twice|triple|tripled|trebled|quadrupled)\b", re.I
)
_ROUGH_COUNT = re.compile(
    r"\b(twice|once|thrice|(dozens|scores|hundreds|thousands|millions|billions) of)\b", re.I
)
_CURRENCY = re.compile(r"[£$€¥₩]\s*$|\b(US|USD|EUR|GBP|JPY)\s*$")
_CURRENCY_NAMES = r"yen|dollars?|euros?|yuan|rupees?"
# after a figure "pounds" and "won" are money too ("5 million won")
_CURRENCY_AFTER = re.compile(
    rf"^\s*(million\s+|billion\s+|trillion\s+)?({_CURRENCY_NAMES}|pounds?|won)\b", re.I
)

_LEAD = r"^(and |but |so )?"
_WHEN = re.compile(
    _LEAD + r"(when (is|was|were|are|did|does|do|will|would|has|have|had|can|could|should)\b"
    r"|when and\b|since when|by when|(in|on|by|from|until|at) (what|which) "
    r"(year|month|date|day|decade|century|time)\b|(what|which) (year|month|date|day|decade"
    r"|century)\b)"
)
_ASKS_DATES = re.compile(r"\b(chronology|timeline|dates)\b")
_ASKS_DAY = re.compile(r"\b(what|which) (exact )?(date|day)\b")
_ASKS_MONTH = re.compile(r"\b(what|which) month\b")
_ASKS_SHARE = re.compile(
    r"\b(what|which) (percentage|per ?cent|share|fraction|proportion)\b|\bhow much of\b"
)
_ASKS_DURATION = re.compile(r"^(and |but |so )?(for )?how long\b")
_ASKS_FREQUENCY = re.compile(r"^(and |but |so )?how often\b")
_DURATION = re.compile(
    r"\b(\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|few|many"
    r"|some|half an?)[\s-]+(\w+[\s-]+)?(second|minute|hour|day|week|fortnight|month|year"
    r"|decade|century|centuries|millenni)\w*|\b(since|until|till|from \S+ (to|until))\b",
    re.I,
)
_FREQUENCY = re.compile(
    r"\b(every|each|per|a|an) (\w+ )?(second|minute|hour|day|night|week|month|year|season)s?\b"
    r"|\b(daily|nightly|weekly|fortnightly|monthly|quarterly|annually|yearly|hourly|once"
    r"|twice|thrice|\w+ times|always|never|often|rarely|seldom|occasionally|regularly"
    r"|sometimes|usually)\b",
    re.I,
)
_ASKS_AMOUNT = re.compile(r"\b(how many|how much|by how much)\b")
# in a question "pounds" may weigh and "won" is a verb
_MONEY_WORDS = rf"({_CURRENCY_NAMES}|pounds sterling|francs?|money)"
# "What is the yen amount ...?", "How much money ...?", "How much is it in dollars?"
_ASKS_MONEY = re.compile(
    rf"\b{_MONEY_WORDS} (amount|figure|sum|value|total|cost|price|terms)\b"
    rf"|\bhow (much|many) {_MONEY_WORDS}\b|\bhow much\b.*\bin {_MONEY_WORDS}\b"
    r"|\b(in|of) (what|which) currency\b"
)
_COPULA = r"(?!(is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|may)\b)"
# The role word heads the which-phrase ("which Japanese prime minister"), no verb before it:
# "which word does the author use" asks for a word, not a person.
_ASKS_PERSON = re.compile(
    _LEAD + rf"((which|what) ({_COPULA}\w+ ){{0,3}}{_ROLES}s?|who\b.*\b{_ROLES}s?)\b"
)
_ASKS_PLACE = re.compile(_LEAD + rf"(in |at |to |from |with )?(which|what) (\w+ )?{_PLACES}\b")
# "Where was the summit held?"; not "Where does the article say ...?"
_WHERE = re.compile(
    _LEAD + r"(from )?where (is|was|were|are|did|does|do|will|would|has|have|had|can|could)\b"
    r"(?! (the|this|that) (article|text|author|passage|document|report|source)s?\b)"
)
# "What is the range of ...?", "What was the population of ...?": a figure, however written
_ASKS_MEASURE = re.compile(
    _LEAD + r"(what|which) (is|was|are|were|will be) (the|its|their|his|her) (\w+ )?"
    r"(range|size|length|height|width|depth|weight|population|area|speed|capacity|distance"
    r"|cost|price|value|salary|income|revenue|age)\b"
)
# "Besides Japan, which countries ...?": what is set aside is no part of what is asked for
_SET_ASIDE = re.compile(r"^(besides|apart from|aside from|other than|except( for)?) [^,]+,\s*")


def answer_type(question: str) -> str | None:
    """The kind of thing a question asks for, when its wording says so: "day", "month", "date",
    "duration", "frequency", "share", "money", "count", "number", "person", "place", "name",
    or None."""
    q = _SET_ASIDE.sub("", question.lower().strip())
    if _WHEN.match(q) or _ASKS_DATES.search(q):
        if _ASKS_DAY.search(q):
            return "day"
        return "month" if _ASKS_MONTH.search(q) else "date"
    if _ASKS_SHARE.search(q):
        return "share"
    if _ASKS_DURATION.search(q):
        return "duration"
    if _ASKS_FREQUENCY.search(q):
        return "frequency"
    if _ASKS_MONEY.search(q):
        return "money"
    if _ASKS_AMOUNT.search(q):
        return "count" if "how many" in q else "number"
    if _ASKS_MEASURE.match(q):
        return "number"
    if _ASKS_PERSON.match(q):
        return "person"
    if _ASKS_PLACE.match(q) or _WHERE.match(q):
        return "place"
    if re.match(_LEAD + r"(who|whom)\b", q):
        return "name"
    return None


_KIND_NOUNS = {
    "day": "day",
    "month": "month",
    "date": "date",
    "duration": "length of time",
    "frequency": "rate or frequency",
    "share": "share or percentage",
    "money": "sum of money",
    "count": "count",
    "number": "figure",
    "person": "person's name",
    "place": "place",
    "name": "name",
}


def kind_noun(kind: str) -> str:
    """What a reader calls the kind of thing asked for ("sum of money" for "money")."""
    return _KIND_NOUNS.get(kind, kind)


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
    asked = question.lower()
    if kind in ("date", "day", "month"):
        pattern = {"date": _DATE, "day": _DAY, "month": _MONTH_OR_DAY}[kind]
        return any(
            m.group(0).lower() not in asked and not _dates_another_name(sentence, m, asked)
            for m in pattern.finditer(sentence)
        )
    if kind in ("duration", "frequency"):
        pattern = _DURATION if kind == "duration" else _FREQUENCY
        if kind == "duration" and any(q.measure for q in quantities(sentence)):
            return True  # "How long is the bridge?": "2 kilometres long"
        return any(m.group(0).lower() not in asked for m in pattern.finditer(sentence))
    if kind in ("count", "number", "share", "money"):
        return _holds_amount(kind, sentence, asked)
    return _holds_name(kind, sentence, asked)


# "its 2023 Defence White Paper", "the 2019 World Cup": a year naming which of a named thing
_YEAR_OF_NAME = re.compile(r"^\s+((?:[A-Z][\w’'-]*\s*)+)")
_DETERMINER_BEFORE = re.compile(r"\b(the|its|their|his|her|our|this|that|a|an)\s+$", re.I)


def _word_stems(text: str) -> set[str]:
    """The first five letters of each word: "Japanese" and "Japan" are one word here."""
    return {w[:5] for w in _TOKEN.findall(text)}


def _dates_another_name(sentence: str, date: re.Match[str], asked: str) -> bool:
    """Whether the date only says which of a named thing the question does not name is meant:
    "its 2023 Defence White Paper" gives no date of anything else ("When was the strategy
    published?"), but it does answer "When was the Defence White Paper published?"."""
    named = _YEAR_OF_NAME.match(sentence[date.end() :])
    if named is None or not _DETERMINER_BEFORE.search(sentence[: date.start()]):
        return False
    asked_words = _word_stems(asked)
    return not any(w.lower()[:5] in asked_words for w in _TOKEN.findall(named.group(1)))


def _holds_amount(kind: str, sentence: str, asked: str) -> bool:
    """A count is no year, share or sum of money; a share is a percentage or a fraction; a sum
    of money has a currency; an amount ("how much") is anything but a year."""
    found = [q for q in quantities(sentence) if q.text.lower() not in asked]
    if kind == "money":
        return any(_is_money(q, sentence) for q in found)
    if kind == "share":
        words = _SHARE_WORDS.finditer(sentence)
        return any(q.unit in (PERCENT, FRACTION) for q in found) or any(
            m.group(0).lower() not in asked for m in words
        )
    if kind == "count":
        money = _ASKS_IN_MONEY.search(asked) is not None  # "how many yen ...?"
        counts = [q for q in found if q.unit == "" or _counts_things(q, sentence)]
        return any(money or not _is_money(q, sentence) for q in counts) or bool(
            _ROUGH_COUNT.search(sentence)
        )
    changes = _CHANGE_WORDS.finditer(sentence)
    return any(q.unit != YEAR for q in found) or any(
        m.group(0).lower() not in asked for m in changes
    )


_ASKS_IN_MONEY = re.compile(rf"\b({_CURRENCY_NAMES}|pounds?|money)\b")


def _counts_things(q: Quantity, sentence: str) -> bool:
    """A number read as a year that counts something: "some 1900 runners", not "in 1900"."""
    before = re.search(r"([A-Za-z]+)\W*$", sentence[: q.start])
    after = re.match(r"\s+([a-z]+)\b", sentence[q.end :])
    by_year = before is not None and before.group(1).lower() in _YEAR_WORDS
    return (
        q.unit == YEAR and not by_year and after is not None and after.group(1) not in _YEAR_WORDS
    )


_YEAR_WORDS = frozenset(
    "in by since until till from of to before after during the and or between around circa c "
    "early late mid".split()
)


def _is_money(q: Quantity, sentence: str) -> bool:
    return bool(_CURRENCY.search(sentence[: q.start]) or _CURRENCY_AFTER.match(sentence[q.end :]))


def _holds_name(kind: str, sentence: str, asked: str) -> bool:
    """A person's or a place's name: not an acronym, a month, or one of the question's words."""
    asked_words = _word_stems(asked)
    for m in _NAME.finditer(sentence):
        word = m.group(0)
        if word.isupper() or _MONTH.fullmatch(word) or word.lower()[:5] in asked_words:
            continue
        if all(part[:5] in asked_words for part in _TOKEN.findall(word.lower())):
            continue  # "Indo-Pacific" where the question says "Indo-Pacific"
        if kind == "person" and (
            "-" in word or not _could_name_a_person(word, sentence, m.start())
        ):
            continue
        return True
    return False


_TITLED = re.compile(
    r"\b(mr|mrs|ms|dr|prof|professor|sir|dame|lord|lady|president|minister|governor|chancellor"
    r"|senator|king|queen|mayor|judge|rector)\.?,?\s+$",
    re.IGNORECASE,
)


def _could_name_a_person(word: str, sentence: str, at: int) -> bool:
    """After a title or role ("Governor Ruiz", "Dr Marsh", "the Mayor, John Young"), or a word
    that is no common English word in any form beside another capitalised word ("Shinzo Abe",
    "Donald Trump"): "Chinese", "North", "States" or a lone "Kyushu" name nobody."""
    if at > 0 and _TITLED.search(sentence[:at]):
        return True
    if _is_common(word):
        return False
    before = _CAPITALISED_BEFORE.search(sentence[:at])
    after = _CAPITALISED_AFTER.match(sentence[at + len(word) :])
    return bool(before or after)


_CAPITALISED_BEFORE = re.compile(r"\b[A-Z][\w’'-]*\s+$")
_CAPITALISED_AFTER = re.compile(r"^\s+[A-Z][\w’'-]*")


def _is_common(word: str) -> bool:
    from assistant.reading.lexicon import is_common_word, lemmas

    bare = re.sub(r"['’]s?$", "", word)
    return any(is_common_word(form) for form in lemmas(bare))


def holds_specifics(sentence: str, question: str) -> bool:
    """Whether the sentence states a figure, a date or a name the question does not: a point of
    its own, where "Military diplomacy has expanded further." only restates a theme."""
    asked = question.lower()
    return any(holds_answer_type(kind, sentence, asked) for kind in ("date", "number", "name"))
