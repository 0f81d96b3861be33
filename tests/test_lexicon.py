"""The reader's word knowledge (WordNet directions and antonyms) and the verifier rules built on
it: opposite words about the same thing, a year moved from another sentence, a name put in
another's place. The lexicon file is small and loads in well under a second, so these tests use
the real one."""

from __future__ import annotations

import pytest

from assistant.citations import check_sentence
from assistant.reading.lexicon import Opposition, direction, oppositions, same_meaning
from assistant.testing import FakeEmbedder, FakeReader
from assistant.types import Chunk


@pytest.mark.parametrize(
    ("word", "way"),
    [
        *[("rose", 1), ("grew", 1), ("doubled", 1), ("raises", 1)],
        *[("fell", -1), ("cut", -1), ("declined", -1), ("lowers", -1)],
        *[("number", 0), ("said", 0), ("visited", 0)],
    ],
)
def test_verbs_that_say_up_or_down(word: str, way: int) -> None:
    assert direction(word) == way


def test_synonyms_are_the_same_meaning() -> None:
    assert same_meaning("purchase", "buy")
    assert same_meaning("bought", "buy")
    assert not same_meaning("bought", "lent")


@pytest.mark.parametrize(
    ("claim", "passage", "expected"),
    [
        (
            "Ambulance handover delays fell by 12 per cent over the period.",
            "Ambulance handover delays rose by 12 per cent over the period.",
            [Opposition("fell", "rose")],
        ),
        (
            "The bank cut its main interest rate to 4.5 per cent.",
            "The bank raised its main interest rate to 4.5 per cent.",
            [Opposition("cut", "raised")],
        ),
        (
            "The company made a profit of $42 million in the quarter.",
            "The company lost $42 million in the quarter.",
            [Opposition("profit", "lost")],
        ),
        # the same thing after the word: what it acts on or describes
        (
            "The firm could only afford a bigger rise by cutting fares.",
            "The company could not afford more without raising fares.",
            [Opposition("cutting", "raising")],
        ),
        (
            "Next year the tournament will relocate to the smaller Sundstrom Arena.",
            "The event would move to the larger Sundstrom Arena next year.",
            [Opposition("smaller", "larger")],
        ),
    ],
)
def test_opposite_words_about_the_same_thing(
    claim: str, passage: str, expected: list[Opposition]
) -> None:
    assert oppositions(claim, passage) == expected


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        # a verb going the same way about the same things, beside one going the other way
        ("Temperatures increased at night.", "Temperatures at night rose, while by day they fell."),
        (
            "The reform reduced poverty.",
            "Poverty declined after the reform, while debts increased.",
        ),
        # converse verbs and adjectives about different things
        ("The company sold the factory to Ford.", "Ford bought the factory from the company."),
        ("She was raised in Ohio by her aunt.", "Her aunt, who fell ill in 1950, brought her up."),
        (
            "The private school opened in 1900.",
            "The school, funded by public gifts, opened in 1900.",
        ),
        # a negated claim word
        ("The population did not fall after the war.", "The population rose after the war."),
        # the same direction in other words
        ("Waiting times fell from 250 to 165 minutes.", "The hospital cut its waiting times."),
        # a synonym of the passage's verb
        ("Northline will purchase most of the power.", "Northline will buy most of the power."),
        # opposite directions, but of different things
        (
            "To cut costs, the council shut two branches.",
            "The council closed two branches to save money, but extended opening hours.",
        ),
        # the claim says both words itself
        ("Prices rose while wages fell.", "Prices rose while wages fell sharply."),
    ],
)
def test_no_opposition_where_a_reader_sees_none(claim: str, passage: str) -> None:
    assert oppositions(claim, passage) == []


def _source(text: str) -> dict[int, Chunk]:
    chunk = Chunk("c1", "doc-1", "A report", "report.md", text, 0, len(text), 1, 1)
    return {1: chunk}


HOSPITAL = (
    "St Aldric Hospital cut its median waiting time from 250 minutes in 2022 to 165 in 2024. "
    "Dr Helen Marsh credited a triage unit that opened in September 2023. "
    "Ambulance handover delays, however, rose by 12 per cent because of a shortage of beds. "
    "The regional health board has promised 18 million pounds to add 60 beds."
)


def _check(sentence: str):  # type: ignore[no-untyped-def]
    return check_sentence(sentence, (1,), _source(HOSPITAL), FakeEmbedder(), reader=FakeReader())


def test_an_inverted_change_is_contradicted_and_says_which_words() -> None:
    checked = _check(
        "Ambulance handover delays, however, fell by 12 per cent over the same period."
    )
    assert checked.status == "contradicted"
    assert '"fell" where it says "rose"' in checked.reason


def test_a_year_taken_from_another_sentence_is_unsupported() -> None:
    checked = _check("Dr Helen Marsh credited a triage unit that opened in September 2022.")
    assert checked.status == "unsupported"
    assert "2022: the sentences of [1] that say this give 2023" in checked.reason
    # joining two sentences' facts keeps the closest sentence's year: no verdict on the other
    joined = _check("The hospital cut waiting times from 2022 and a unit opened in September 2023.")
    assert "give 20" not in joined.reason


def test_a_name_put_in_another_place_is_unsupported() -> None:
    # put in the place of a name the closest sentence gives (a board with no name in its place
    # is not seen: the rule cannot tell it from a name joined with a fact of its own)
    named = HOSPITAL.replace("The regional health board", "The Wessex Health Board")
    checked = check_sentence(
        "St Aldric Hospital has promised 18 million pounds to add 60 beds.",
        (1,),
        _source(named),
        FakeEmbedder(),
        reader=FakeReader(),
    )
    assert checked.status != "supported"
    assert "closest to this don't mention Aldric Hospital" in checked.reason


def test_the_faithful_sentence_still_passes() -> None:
    checked = _check("Ambulance handover delays rose by 12 per cent because of a shortage of beds.")
    assert checked.status == "supported", checked.reason


@pytest.mark.parametrize(
    ("sentence", "holds"),
    [
        # nationalities, compass points and words of an organisation's name name nobody
        ("Japan formed a trilateral amid concern over Chinese and North Korean actions.", False),
        ("It set up an Official Development Assistance framework.", False),
        # a name that is no common word, or a common word after a title, names a person
        ("The late prime minister Shinzo Abe built a rapport with him.", True),
        ("Chief medical officer Dr Helen Marsh credited the unit.", True),
        ("The summit was chaired by Mr Baker.", True),
    ],
)
def test_which_minister_is_answered_only_by_a_persons_name(sentence: str, holds: bool) -> None:
    from assistant.generation.answer_types import holds_answer_type

    assert holds_answer_type("person", sentence, "Which prime minister did this?") is holds


def test_common_words_are_not_peoples_names() -> None:
    from assistant.reading.lexicon import is_common_word

    assert is_common_word("Chinese") and is_common_word("north") and is_common_word("Trump")
    assert not is_common_word("Kishida") and not is_common_word("Lincoln")


@pytest.mark.parametrize(
    ("claim", "passage", "reversed_"),
    [
        (
            "The shortage of beds was caused by a 12 per cent rise in handover delays.",
            "Handover delays rose by 12 per cent because of a shortage of beds.",
            True,
        ),
        (
            "Visits to the library doubled, which led the council to extend opening hours.",
            "Visits to the library doubled after the council extended its opening hours.",
            True,
        ),
        # the same direction in other connectives
        (
            "Handover delays increased by 12 per cent owing to a lack of beds.",
            "Handover delays rose by 12 per cent because of a shortage of beds.",
            False,
        ),
        # "led by" is no connective
        (
            "The team, led by Dr Holm, found 400 glass beads.",
            "The team found 400 glass beads after a long search.",
            False,
        ),
        # no connective in the passage: nothing to reverse
        ("Prices rose because wages rose.", "Prices and wages rose.", False),
        # "after which" points back; several connectives or clauses are left alone
        (
            "The school closed after the fire destroyed the main building.",
            "The fire destroyed the main building, after which the school closed.",
            False,
        ),
        (
            "The king died in 1547 after a long illness, and his son succeeded him after that.",
            "His son succeeded the king after he died in 1547 following a long illness.",
            False,
        ),
    ],
)
def test_cause_and_effect_reversed(claim: str, passage: str, reversed_: bool) -> None:
    from assistant.reading.causes import reverses_cause

    assert reverses_cause(claim, passage) is reversed_


def test_a_reversed_cause_is_contradicted() -> None:
    checked = _check("A shortage of beds was caused by a rise in ambulance handover delays.")
    assert checked.status == "contradicted"
    assert "cause and effect reversed" in checked.reason


@pytest.mark.parametrize(
    ("claim", "passage", "word"),
    [
        (
            "The beads prove the household traded.",
            "The beads suggest the household traded.",
            "prove",
        ),
        (
            "The beads suggest the household traded.",
            "The beads suggest the household traded.",
            None,
        ),
        ("The study proves walking helps.", "The study proves walking helps.", None),
        ("The study proves walking helps.", "Walking helps, the study shows.", None),
        # everyday senses, and "May" the month
        ("The company was established in 1990.", "The company was founded in May 1990.", None),
        ("Thousands demonstrated in the capital.", "Perhaps 10,000 people protested.", None),
        (
            "Tests confirmed that the well is safe.",
            "Tests suggest the well is safe.",
            "confirmed that",
        ),
    ],
)
def test_a_claim_more_certain_than_its_source(claim: str, passage: str, word: str | None) -> None:
    from assistant.reading.certainty import overstates

    assert overstates(claim, passage) == word
