"""Training pairs for the reader, built from the public data under ``shared/data`` (seeded).

Answerability (question, sentence) -> 1 when the sentence holds the gold answer:

- SQuAD 1.1 train: the gold sentence (1), another sentence of the same paragraph (0), and the gold
  sentence against a *made-up unanswerable* question (0): the question with a name, number or year
  swapped for one from another paragraph, a negation inserted, or a word swapped for its antonym,
  so that the sentence no longer answers it although it shares nearly every word;
- SQuAD 2.0 dev-half, the first articles of the tuning split only (title order, ``answer_articles``):
  answerable questions with their gold sentence (1), crowd-written unanswerable questions with the
  sentence that holds their plausible answer (0).

Entailment (passage, claim) -> entailment / neutral / contradiction:

- MultiNLI (20k sample) and SNLI dev, as published;
- made-up pairs from SQuAD 1.1 passages: a sentence of the passage (entailment), the same sentence
  with a number respelled in words (entailment), with a number, year, name or negation changed or a
  word swapped for its antonym (contradiction), and a sentence of another paragraph of the same
  article (neutral).

The antonym and negation lists are general English, not words of any one domain.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

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

_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+(?:\.\d+)?\b")
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
_QUESTION_START = re.compile(r"^(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
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
    matches = list(_NUMBER.finditer(text))
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
        for m in _NUMBER.finditer(text)
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


@dataclass(frozen=True)
class Pair:
    task: str  # "answer" or "nli"
    first: str
    second: str
    label: int  # answer: 1/0; nli: 0 entailment, 1 neutral, 2 contradiction
    origin: str


def _squad11(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)["data"]


def _unanswerable_variant(question: str, names: list[str], rng: random.Random) -> str | None:
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


def answer_pairs(
    shared: Path,
    rng: random.Random,
    *,
    squad11_questions: int,
    squad2_articles: range,
    classic: bool = False,
) -> list[Pair]:
    """(question, sentence) pairs labelled 1 when the sentence answers the question."""
    pairs: list[Pair] = []
    articles = _squad11(shared / "squad11" / "train-v1.1.json.gz")
    entries = []
    for article in articles:
        names = sorted({n for p in article["paragraphs"] for n in names_in(p["context"])})
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                entries.append((names, paragraph["context"], qa))
    by_context: dict[str, list[dict]] = {}
    for _names, context, qa in entries:
        by_context.setdefault(context, []).append(qa)
    rng.shuffle(entries)
    for names, context, qa in entries[:squad11_questions]:
        answer = qa["answers"][0]
        span = sentence_at(context, answer["answer_start"])
        if span is None:
            continue
        gold = context[span[0] : span[1]].strip()
        if answer["text"] not in gold:
            continue
        question = qa["question"].strip()
        pairs.append(Pair("answer", question, gold, 1, "squad11-gold"))
        others = [
            context[s:e].strip()
            for s, e in split_sentences(context)
            if (s, e) != span and answer["text"] not in context[s:e]
        ]
        if classic:  # the first stage's data, exactly as it was drawn
            if others:
                pairs.append(Pair("answer", question, rng.choice(others), 0, "squad11-other"))
            if rng.random() < 0.75:
                variant = _unanswerable_variant(question, names, rng)
                if variant:
                    pairs.append(Pair("answer", variant, gold, 0, "squad11-madeup"))
            continue
        if others and rng.random() < 0.6:
            pairs.append(Pair("answer", question, rng.choice(others), 0, "squad11-other"))
        # Near misses: another question on the same paragraph, read against this question's
        # sentence, which shares its topic but not the detail asked for.
        siblings = [
            q
            for q in by_context.get(context, [])
            if q is not qa and all(a["text"] not in gold for a in q["answers"])
        ]
        if siblings:
            sibling = rng.choice(siblings)["question"].strip()
            pairs.append(Pair("answer", sibling, gold, 0, "squad11-sibling"))
        if others and rng.random() < 0.5:
            asked = _words(question)
            hard = max(others, key=lambda t: len(asked & _words(t)))
            pairs.append(Pair("answer", question, hard, 0, "squad11-closest-other"))
        if rng.random() < 0.6:
            variant = _unanswerable_variant(question, names, rng)
            if variant:
                pairs.append(Pair("answer", variant, gold, 0, "squad11-madeup"))
    squad2 = json.loads((shared / "squad2" / "dev-half.json").read_text(encoding="utf-8"))["data"]
    squad2.sort(key=lambda a: a["title"])
    for index, article in enumerate(squad2, start=1):
        if index not in squad2_articles:
            continue
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            sentences = split_sentences(context)
            for qa in paragraph["qas"]:
                question = qa["question"].strip()
                if qa["is_impossible"]:
                    for plausible in qa.get("plausible_answers", [])[:1]:
                        span = sentence_at(context, plausible["answer_start"])
                        if span:
                            sent = context[span[0] : span[1]].strip()
                            pairs.append(Pair("answer", question, sent, 0, "squad2-impossible"))
                    if sentences:
                        s, e = rng.choice(sentences)
                        pairs.append(
                            Pair(
                                "answer",
                                question,
                                context[s:e].strip(),
                                0,
                                "squad2-impossible-other",
                            )
                        )
                else:
                    answer = qa["answers"][0]
                    span = sentence_at(context, answer["answer_start"])
                    if span:
                        sent = context[span[0] : span[1]].strip()
                        pairs.append(Pair("answer", question, sent, 1, "squad2-gold"))
    return pairs


def _words(text: str) -> set[str]:
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


def _detok(text: str) -> str:
    text = re.sub(r" ([.,!?;:%)'])", r"\1", text)
    text = re.sub(r"([($]) ", r"\1", text)
    return text.replace(" n't", "n't").replace(" 's", "'s").replace("`` ", '"').replace(" ''", '"')


def nli_pairs(
    shared: Path,
    rng: random.Random,
    *,
    synthetic: int,
    mnli: int,
    snli: int,
    classic: bool = False,
) -> list[Pair]:
    """(passage, claim) pairs with entailment (0), neutral (1), contradiction (2) labels."""
    label_of = {"entailment": 0, "neutral": 1, "contradiction": 2}
    pairs: list[Pair] = []
    with open(shared / "nli" / "mnli_train_20k_tokenized.tsv", encoding="utf-8") as f:
        rows = [
            r
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            if r["label"] in label_of
        ]
    rng.shuffle(rows)
    for r in rows[:mnli]:
        pairs.append(
            Pair(
                "nli", _detok(r["sentence1"]), _detok(r["sentence2"]), label_of[r["label"]], "mnli"
            )
        )
    with open(shared / "nli" / "snli_dev.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["label"] in label_of]
    rng.shuffle(rows)
    for r in rows[:snli]:
        pairs.append(Pair("nli", r["premise"], r["hypothesis"], label_of[r["label"]], "snli"))
    articles = _squad11(shared / "squad11" / "train-v1.1.json.gz")
    rng.shuffle(articles)
    made = 0
    for article in articles:
        paragraphs = [p["context"] for p in article["paragraphs"]]
        names = sorted({n for p in paragraphs for n in names_in(p)})
        for context in paragraphs:
            if made >= synthetic:
                return pairs
            spans = split_sentences(context)
            if len(spans) < 2:
                continue
            i = rng.randrange(len(spans) - 1)
            window = spans[i : i + rng.choice([2, 3])]
            premise = context[window[0][0] : window[-1][1]].strip()
            choice = rng.random()
            numbered = [w for w in window if _NUMBER.search(context[w[0] : w[1]])]
            if 0.16 <= choice < 0.42 and numbered:
                s, e = rng.choice(numbered)
            else:
                s, e = rng.choice(window)
            claim = context[s:e].strip()
            if len(claim.split()) < 6 or len(claim.split()) > 45:
                continue
            local_names = names_in(premise)
            if choice < 0.16:
                pairs.append(Pair("nli", premise, claim, 0, "made-entail-copy"))
            elif choice < 0.26:
                respelled = respell_number(claim, rng)
                if respelled:
                    pairs.append(Pair("nli", premise, respelled, 0, "made-entail-respelled"))
            elif choice < 0.42:
                changed = change_number(claim, rng, in_words=rng.random() < 0.5)
                if changed:
                    pairs.append(Pair("nli", premise, changed, 2, "made-number"))
            elif choice < 0.58:
                pool = local_names if len(local_names) > 1 and rng.random() < 0.7 else names
                swapped = swap_name(claim, pool, rng)
                if swapped:
                    pairs.append(Pair("nli", premise, swapped, 2, "made-name"))
            elif choice < 0.72:
                flipped = flip_negation(claim, rng)
                if flipped:
                    pairs.append(Pair("nli", premise, flipped, 2, "made-negation"))
            elif choice < 0.86:
                opposite = swap_antonym(claim, rng)
                if opposite:
                    pairs.append(Pair("nli", premise, opposite, 2, "made-antonym"))
            elif classic:
                other = rng.choice(paragraphs)
                if other != context:
                    os_, oe = rng.choice(split_sentences(other))
                    pairs.append(Pair("nli", premise, other[os_:oe].strip(), 1, "made-neutral"))
            else:
                # neutral: a sentence of the same paragraph outside the window (same topic,
                # not stated), else one of another paragraph
                outside = [sp for sp in spans if sp[1] <= window[0][0] or sp[0] >= window[-1][1]]
                if outside and rng.random() < 0.7:
                    os_, oe = rng.choice(outside)
                    pairs.append(
                        Pair("nli", premise, context[os_:oe].strip(), 1, "made-neutral-near")
                    )
                else:
                    other = rng.choice(paragraphs)
                    if other != context:
                        os_, oe = rng.choice(split_sentences(other))
                        pairs.append(Pair("nli", premise, other[os_:oe].strip(), 1, "made-neutral"))
            if classic:
                made += 1
                continue
            # More entailed parts and same-topic neutrals, so that high word overlap alone
            # does not mean "contradiction".
            short = shorten(claim, rng) if rng.random() < 0.35 else None
            if short:
                pairs.append(Pair("nli", premise, short, 0, "made-entail-part"))
            outside = [sp for sp in spans if sp[1] <= window[0][0] or sp[0] >= window[-1][1]]
            if outside and rng.random() < 0.3:
                os_, oe = rng.choice(outside)
                pairs.append(Pair("nli", premise, context[os_:oe].strip(), 1, "made-neutral-near"))
            made += 1
    return pairs
