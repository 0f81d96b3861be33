"""How the cited passages bear on one generated sentence, for :func:`citations.check_sentence`:
the sentence windows closest to it in meaning, and what its quantities and the reader say."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.claims import negated
from assistant.markers import format_markers

if TYPE_CHECKING:
    from assistant.citations import Quote
    from assistant.index.embedder import Embedder
    from assistant.reading import Entailment, Reader


def window_units(quotes: tuple[Quote, ...]) -> set[str]:
    """The kinds of quantity (percent, year, ...) the quoted sentences state."""
    from assistant.quantities import quantities

    return {q.unit for quote in quotes for q in quantities(quote.text)}


def entails_each(reader: Reader, sentence: str, premises: list[str]) -> list[Entailment]:
    """The reader's verdict on the sentence against each premise, the sentence's numbers spelled
    as that premise spells the same values (a model reads "70%" and "seventy per cent" apart).

    Where a premise also says things the sentence does not touch ("sales rose 12%, but profit
    fell"), the premise without those clauses is read too, and the more entailing verdict kept:
    the model reads a clause the claim leaves out as a contradiction of it.
    """
    from assistant.clauses import touched_clauses
    from assistant.quantity_matching import in_passage_spelling

    claims = [in_passage_spelling(sentence, p) for p in premises]
    verdicts = _read(reader, claims, premises)
    narrowed = [touched_clauses(c, p) for c, p in zip(claims, premises, strict=True)]
    at = [i for i, premise in enumerate(premises) if narrowed[i] != premise]
    read = _read(reader, [claims[i] for i in at], [narrowed[i] for i in at])
    for i, verdict in zip(at, read, strict=True):
        if verdict.entailed > verdicts[i].entailed:
            verdicts[i] = verdict
    return verdicts


def _read(reader: Reader, claims: list[str], premises: list[str]) -> list[Entailment]:
    """The reader's verdict on each claim against its premise, one call per distinct claim."""
    verdicts: list[Entailment | None] = [None] * len(premises)
    for claim in dict.fromkeys(claims):
        at = [i for i, c in enumerate(claims) if c == claim]
        for i, verdict in zip(at, reader.entails(claim, [premises[i] for i in at]), strict=True):
            verdicts[i] = verdict
    return [v for v in verdicts if v is not None]


@dataclass(frozen=True)
class WindowMatches:
    """The sentence windows of the cited passages closest in meaning to a sentence."""

    quotes: tuple[Quote, ...]  # the closest window of each passage
    candidates: list[tuple[int, tuple[Quote, ...]]]  # the closest few of each, with its number
    best: float = -1.0  # the highest similarity
    best_window: tuple[int, str] | None = None  # the closest window overall, with its number

    def candidate_texts(self) -> list[tuple[int, str]]:
        """Each candidate window as one text, with its citation number."""
        return [(n, " ".join(q.text for q in window)) for n, window in self.candidates]


def closest_windows(
    sentence: str,
    windows_of: Sequence[tuple[int, list[tuple[Quote, ...]]]],
    embedder: Embedder,
    per_source: int,
) -> WindowMatches:
    """Of each cited passage's windows (with its citation number), the closest and the closest
    few."""
    vector = embedder.embed_query(sentence)
    quotes: list[Quote] = []
    candidates: list[tuple[int, tuple[Quote, ...]]] = []
    best, best_window = -1.0, None
    for n, windows in windows_of:
        if not windows:
            continue
        texts = [" ".join(q.text for q in w) for w in windows]
        sims = np.asarray(embedder.embed_many_cached(texts)) @ vector
        order = np.argsort(-sims, kind="stable")
        if float(sims[order[0]]) > best:
            best, best_window = float(sims[order[0]]), (n, texts[int(order[0])])
        quotes.extend(windows[int(order[0])])
        candidates += [(n, windows[int(i)]) for i in order[:per_source]]
    return WindowMatches(tuple(quotes), candidates, best, best_window)


def quantity_verdict(
    sentence: str, passages: list[str], matches: WindowMatches, valid: tuple[int, ...], named: bool
) -> tuple[str | None, str | None]:
    """(contradiction, reason unsupported) from the sentence's quantities; Nones if they match.

    A different figure of the same kind (a percentage for a percentage, a year for a year) where
    the passage speaks of the same things (`named`: all its names are there) contradicts it;
    else it is unsaid.
    """
    from assistant.quantities import quantities
    from assistant.quantity_matching import unmatched_quantities

    unmatched = unmatched_quantities(sentence, " ".join(passages))
    if not unmatched:
        return None, None
    message = "numbers not in the cited passage: " + ", ".join(unmatched)
    units = {q.unit for q in quantities(sentence) if q.text in unmatched}
    if named and units & window_units(matches.quotes):
        return f"contradicted by {format_markers(valid)}: " + message.removeprefix("numbers "), None
    return None, message


NEGATION_MAX_NEW_WORDS = 2


def negation_verdict(sentence: str, matches: WindowMatches) -> tuple[str | None, None]:
    """A contradiction when the sentence is negated and its closest window is not, or the
    other way round, and the sentence otherwise says what the window says (at most
    NEGATION_MAX_NEW_WORDS content words of its own): a rewording may put "no longer have" for
    "lost", which is no flipped negation."""
    from assistant.generation.question_kinds import content_terms

    window = matches.best_window
    if window is None or negated(sentence) == negated(window[1]):
        return None, None
    if len(content_terms(sentence) - content_terms(window[1])) > NEGATION_MAX_NEW_WORDS:
        return None, None
    if _negates_an_opposite(sentence, window[1]) or _negates_an_opposite(window[1], sentence):
        return None, None
    opposite = f'one says not, the other does: "{window[1]}"'
    return f"contradicted by {format_markers([window[0]])}: {opposite}", None


def reader_verdict(
    reader: Reader,
    sentence: str,
    matches: WindowMatches,
    min_entailed: float,
    min_contradicted: float,
) -> tuple[str | None, str | None]:
    """(contradiction, reason unsupported) from the reader; Nones when a window entails it."""
    premises = [text for _, text in matches.candidate_texts()]
    verdicts = entails_each(reader, sentence, premises)
    best_entailed = max(v.entailed for v in verdicts)
    if best_entailed >= min_entailed:
        return None, None
    worst = max(range(len(verdicts)), key=lambda i: verdicts[i].contradicted)
    if verdicts[worst].contradicted >= min_contradicted:
        marker = format_markers([matches.candidates[worst][0]])
        return f'contradicted by {marker}: "{premises[worst]}"', None
    return None, f"the cited passage does not say this (entailment {best_entailed:.2f})"


def year_verdict(sentence: str, matches: WindowMatches) -> tuple[None, str | None]:
    """Unsupported when the sentence's years are all given only elsewhere in its passage, and the
    sentences that say this give another ("opened in 2022" against "the unit opened in 2023 ...
    waits in 2022"). A sentence joining facts of two sentences keeps a year of the closest one."""
    from assistant.quantities import YEAR, quantities
    from assistant.quantity_matching import unmatched_quantities

    if matches.best_window is None:
        return None, None
    n, window = matches.best_window
    years = [q for q in quantities(window) if q.unit == YEAR]
    claimed = {q.text for q in quantities(sentence) if q.unit == YEAR}
    moved = [t for t in unmatched_quantities(sentence, window) if t in claimed]
    if not years or not moved or len(moved) < len(claimed):
        return None, None
    says = ", ".join(dict.fromkeys(q.text for q in years))
    return (
        None,
        f"{', '.join(moved)}: the sentences of {format_markers([n])} that say this give {says}",
    )


def figure_verdict(sentence: str, matches: WindowMatches) -> tuple[None, str | None]:
    """Unsupported when a figure of the sentence (not a year) is not the one its closest window
    gives of the same thing: "the six busiest corridors" against "the eight busiest corridors"
    (the word after each figure says what it counts)."""
    from assistant.quantities import YEAR, quantities
    from assistant.quantity_matching import unmatched_quantities

    if matches.best_window is None:
        return None, None
    n, window = matches.best_window
    moved = set(unmatched_quantities(sentence, window))
    unsaid = set(unmatched_quantities(window, sentence))
    for q in quantities(sentence):
        if q.unit == YEAR or q.text not in moved:
            continue
        counted = _counted(sentence, q.end)
        given = [
            w.text
            for w in quantities(window)
            if w.text in unsaid and (w.unit, w.measure) == (q.unit, q.measure)
            and counted and counted & _counted(window, w.end)
        ]  # fmt: skip
        if given:
            says = ", ".join(given)
            return (
                None,
                f"{q.text}: the sentences of {format_markers([n])} that say this give {says}",
            )
    return None, None


def _counted(text: str, end: int) -> set[str]:
    """The lemmas of the first content word after a figure (what it counts), numbers passed."""
    from assistant.reading.lexicon import content_words, lemmas

    for word in content_words(text[end:])[:4]:
        if word.isalpha() and not _NUMBER_WORD.fullmatch(word):
            return set(lemmas(word))
    return set()


_NUMBER_WORD = re.compile(
    r"(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|\w+ty|hundred"
    r"|thousand|million|billion|dozen)",
    re.IGNORECASE,
)


def opposition_verdict(sentence: str, matches: WindowMatches) -> tuple[str | None, None]:
    """A contradiction when the sentence says the opposite of a closest window about the same
    thing: an antonym, or up where it says down ("delays fell" / "delays rose")."""
    from assistant.reading.lexicon import oppositions

    for n, text in matches.candidate_texts():
        found = oppositions(sentence, text)
        if found:
            said, told = found[0].claim_word, found[0].passage_word
            return (
                f'contradicted by {format_markers([n])}: "{said}" where it says "{told}": "{text}"',
                None,
            )
    return None, None


_NO_LONGER = re.compile(r"\b(no longer|not any ?more|never again)\b", re.IGNORECASE)
_STOPPING = frozenset("stop cease end lose quit abandon halt drop discontinue scrap close".split())


def _negates_an_opposite(negative: str, positive: str) -> bool:
    """ "not open" for "closed", "did not pass" for "failed", "no longer sells" for "stopped
    selling": a negation of the opposite word says the same thing."""
    from assistant.reading.lexicon import content_words, lemmas_of, opposed

    if _NO_LONGER.search(negative) and lemmas_of(content_words(positive)) & _STOPPING:
        return True
    told = [w for w in content_words(positive) if w.isalpha()]
    said = [w for w in content_words(negative) if w.isalpha()]
    return any(opposed(a, b) for a in said for b in told)


def amount_direction_verdict(sentence: str, matches: WindowMatches) -> tuple[str | None, None]:
    """A contradiction when the sentence gives a figure of its closest window the other way
    ("down 12%" where it says "up 12%", "more than" where it says "fewer than")."""
    from assistant.quantity_directions import opposite_amount

    window = matches.best_window
    found = opposite_amount(sentence, window[1]) if window else None
    if window is None or found is None:
        return None, None
    said, told = found
    return f'contradicted by {format_markers([window[0]])}: "{said}" where it says "{told}"', None


def cause_verdict(sentence: str, matches: WindowMatches) -> tuple[str | None, None]:
    """A contradiction when the sentence gives a closest window's cause as the effect and its
    effect as the cause ("A because of B" where the window says "B because of A")."""
    from assistant.reading.causes import reverses_cause

    for n, text in matches.candidate_texts():
        if reverses_cause(sentence, text):
            return (
                f'contradicted by {format_markers([n])}: cause and effect reversed: "{text}"',
                None,
            )
    return None, None


def certainty_verdict(sentence: str, matches: WindowMatches) -> tuple[None, str | None]:
    """Unsupported when the sentence states as certain ("proves") what the closest window only
    suggests, or as done ("has sold") what it says may be done ("would consider selling")."""
    from assistant.reading.certainty import overstates, states_as_done

    window = matches.best_window
    if window is None:
        return None, None
    word = overstates(sentence, window[1])
    if word is not None:
        return None, f'"{word}": more certain than the cited passage, which hedges: "{window[1]}"'
    done = states_as_done(sentence, window[1])
    if done is not None:
        return None, f'"{done}" as done, where the cited passage says it may be: "{window[1]}"'
    return None, None


def roles_verdict(sentence: str, matches: WindowMatches) -> tuple[None, str | None]:
    """Unsupported when the sentence says of one name what a closest window says of another
    ("goalkeeper Asante" where it says "striker Asante ... goalkeeper Hartigan")."""
    from assistant.reading.roles import swapped_names

    for n, text in matches.candidate_texts():
        swap = swapped_names(sentence, text)
        if swap is not None:
            said = f'"{swap.word}" is said of {swap.other.title()} in {format_markers([n])}'
            return None, f'{said}, not of {swap.name.title()}: "{text}"'
    return None, None


def reversed_verdict(sentence: str, matches: WindowMatches) -> tuple[None, str | None]:
    """Unsupported when the sentence gives two names of its closest sentences the other way
    round ("Wierzba won ..., ahead of Sarandou" for "Sarandou won ..., ahead of Wierzba")."""
    from assistant.reading.roles import reversed_names

    if matches.best_window is None:
        return None, None
    n, window = matches.best_window
    pair = reversed_names(sentence, window)
    if pair is None:
        return None, None
    said = f"{pair[0]} and {pair[1]} stand the other way round in {format_markers([n])}"
    return None, f'{said}: "{window}"'


def additions_verdict(sentence: str, matches: WindowMatches) -> tuple[None, str | None]:
    """Unsupported when the sentence brings several words together that its passages have in no
    form (an added reason, detail or consequence)."""
    from assistant.reading.additions import added_words

    passages = " ".join(dict.fromkeys(q.chunk.text for q in matches.quotes))
    added = added_words(sentence, passages) if passages else []
    if not added:
        return None, None
    return None, f'adds what the cited passage does not say: "{" ".join(added)}"'


MAX_SWAP_SIMILARITY = 0.5  # swapped words closer in meaning than this are a rewording


def substitution_verdict(
    sentence: str, matches: WindowMatches, embedder: Embedder
) -> tuple[None, str | None]:
    """Unsupported when the sentence copies its closest window but for a word of its own put in
    place of one of the window's that means something else ("bought from" for "on loan from"):
    a name for another name, or words less alike in meaning than MAX_SWAP_SIMILARITY."""
    from assistant.reading.substitutions import swapped_quantifier, swapped_words

    if matches.best_window is None:
        return None, None
    n, window = matches.best_window
    swap = swapped_words(sentence, window)
    if swap is None:
        swap = swapped_quantifier(sentence, window)
        if swap is None:
            return None, None
    elif not swap.names:
        put, where = embedder.embed_many_cached([swap.claim_text, swap.passage_text])
        if float(np.dot(put, where)) >= MAX_SWAP_SIMILARITY:
            return None, None
    said = f'"{swap.claim_text}" where {format_markers([n])} says "{swap.passage_text}"'
    return None, f'{said}: "{window}"'


def added_to_copy_verdict(sentence: str, matches: WindowMatches) -> tuple[None, str | None]:
    """Unsupported when the sentence copies its closest window but adds words its passage has
    in no form (a reason, condition or detail: "... without any job losses")."""
    from assistant.reading.substitutions import added_to_copy

    if matches.best_window is None:
        return None, None
    n, window = matches.best_window
    passage = " ".join(dict.fromkeys(q.chunk.text for q in matches.quotes))
    added = added_to_copy(sentence, window, passage)
    if added is None:
        return None, None
    return None, f'adds to what {format_markers([n])} says: "{added}"'


def window_names_verdict(sentence: str, matches: WindowMatches) -> tuple[None, str | None]:
    """Unsupported when the sentence puts a name its passage gives elsewhere in place of one the
    sentences saying what it claims give (`reading.roles.moved_names`)."""
    from assistant.reading.roles import moved_names

    if matches.best_window is None:
        return None, None
    n, window = matches.best_window
    passage = next(w[0].chunk.text for m, w in matches.candidates if m == n)
    moved = moved_names(sentence, window, passage)
    if not moved:
        return None, None
    return (
        None,
        f"the sentences of {format_markers([n])} closest to this don't mention {' '.join(moved)}",
    )
