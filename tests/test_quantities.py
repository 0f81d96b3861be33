"""Quantities read from prose, digits or words, and the claim's quantities a passage does not state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.quantities import Quantity, quantities
from assistant.quantity_matching import unmatched_quantities

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def words_for(n: int, british_and: bool = True) -> str:
    """English words for 0 <= n < 10**9 ("one hundred and twenty-three thousand ...")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    for size, name in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            high, rest = divmod(n, size)
            head = f"{words_for(high, british_and)} {name}"
            if not rest:
                return head
            joiner = " and " if british_and and rest < 100 else " "
            return head + joiner + words_for(rest, british_and)
    raise AssertionError(n)


def values(text: str) -> list[tuple[float, str]]:
    return [(q.value, q.unit) for q in quantities(text)]


def test_words_for_helper() -> None:
    assert words_for(120) == "one hundred and twenty"
    assert words_for(65) == "sixty-five"
    assert words_for(1_000_000) == "one million"
    assert (
        words_for(123_456, british_and=False)
        == "one hundred twenty-three thousand four hundred fifty-six"
    )


# --- quantities ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two per cent", [(2.0, "percent")]),
        ("2%", [(2.0, "percent")]),
        ("2 percent", [(2.0, "percent")]),
        ("2 per cent", [(2.0, "percent")]),
        ("three per cent", [(3.0, "percent")]),
        ("sixty-five", [(65.0, "")]),
        ("Sixty-Five percent", [(65.0, "percent")]),
        ("65", [(65.0, "")]),
        ("1.5 million", [(1_500_000.0, "")]),
        ("1,500,000", [(1_500_000.0, "")]),
        ("one point five million", [(1_500_000.0, "")]),
        ("a dozen ships", [(12.0, "")]),
        ("two dozen ships", [(24.0, "")]),
        ("By 2027", [(2027.0, "year")]),
        ("one hundred and twenty troops", [(120.0, "")]),
        ("one hundred twenty troops", [(120.0, "")]),
        ("1,000 troops", [(1000.0, "")]),
        ("one thousand troops", [(1000.0, "")]),
        ("a thousand troops", [(1000.0, "")]),
        ("twelve billion yen", [(12e9, "")]),
        ("¥2.5 trillion", [(2.5e12, "")]),
        ("$2bn", [(2e9, "")]),
        ("6.5", [(6.5, "")]),
        ("zero point five per cent", [(0.5, "percent")]),
        ("one per cent", [(1.0, "percent")]),
        ("One million people", [(1e6, "")]),
        ("a 1.5-million-strong army", [(1_500_000.0, "")]),
        ("2,027 ships", [(2027.0, "")]),  # a separator: not a year
        ("2027.5", [(2027.5, "")]),
        ("2027 per cent", [(2027.0, "percent")]),
        ("in 1799 and 2101", [(1799.0, ""), (2101.0, "")]),
        ("the 1800s and 2100", [(1800.0, "year"), (2100.0, "year")]),
        ("between two and three per cent", [(2.0, "percent"), (3.0, "percent")]),
        ("2-3%", [(2.0, "percent"), (3.0, "percent")]),
        ("a 2-year delay and 3 per cent", [(2.0, ""), (3.0, "percent")]),
        ("the G7 summit", [(7.0, "")]),
        ("sixty, five", [(60.0, ""), (5.0, "")]),
        ("seven and a half points", [(7.5, "")]),
        ("3 and a half per cent", [(3.5, "percent")]),
        ("half a point ahead", [(0.5, "")]),
    ],
)
def test_quantities_values(text: str, expected: list[tuple[float, str]]) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The alliance remains central to Japan's security policy.",
        "one analysis",
        "One analysis found that one of the partners would pay.",
        "no one expected it",
        "the first, second and third rounds",
        "the 21st century",
        "the twenty-first century",
        "hundreds of troops",
        "tens of thousands of people",
        "millions of voters",
        "a one-off payment",
    ],
)
def test_no_quantities(text: str) -> None:
    assert quantities(text) == []


def test_quantity_keeps_text_as_written() -> None:
    found = quantities("Spending rises to two per cent of GDP, or ¥43 trillion, by 2027.")
    assert found == [
        Quantity(2.0, "percent", "two per cent"),
        Quantity(43e12, "", "43 trillion"),
        Quantity(2027.0, "year", "2027"),
    ]
    assert [q.text for q in quantities("a hundred, 1,000 and sixty-five percent")] == [
        "a hundred",
        "1,000",
        "sixty-five percent",
    ]


# --- unmatched_quantities --------------------------------------------------------------------------

SAME = [
    ("two per cent", "2%"),
    ("two per cent", "2 percent"),
    ("2%", "2 percent"),
    ("2 per cent", "two per cent"),
    ("65 per cent", "sixty-five percent"),
    ("sixty-five", "65"),
    ("1.5 million", "1,500,000"),
    ("a dozen ships", "12 ships"),
    ("By 2027", "in 2027"),
    ("1,000 troops", "one thousand troops"),
    ("one hundred and twenty troops", "120 troops"),
    ("2.3 million", "2,300,000"),  # 2.3 * 10**6 is not exact in floating point
    ("¥43 trillion", "43 trillion yen"),
    ("seven and a half points", "7.5 points"),
    ("half a point clear", "0.5 points clear"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_quantity_matches_both_ways(a: str, b: str) -> None:
    assert unmatched_quantities(a, b) == []
    assert unmatched_quantities(b, a) == []


DIFFERENT = [
    ("three per cent", "2 per cent"),
    ("two per cent", "three per cent"),
    ("65", "6.5"),
    ("65 per cent", "65"),  # per cent-ness must agree
    ("sixty-five", "sixty"),
    ("1.5 million", "1,500"),
    ("2027", "2028"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_quantity_unmatched_both_ways(a: str, b: str) -> None:
    assert unmatched_quantities(a, b) == [quantities(a)[0].text]
    assert unmatched_quantities(b, a) == [quantities(b)[0].text]


def test_unmatched_reports_the_claims_spelling() -> None:
    passage = "Japan plans to raise defence spending to 2 per cent of GDP by 2027."
    assert unmatched_quantities("Spending will reach three per cent of GDP by 2027.", passage) == [
        "three per cent"
    ]
    assert unmatched_quantities("Spending will reach two per cent of GDP by 2027.", passage) == []
    assert unmatched_quantities("Spending will reach two per cent of GDP by 2028.", passage) == [
        "2028"
    ]


def test_year_in_claim_matches_only_a_year() -> None:
    assert unmatched_quantities("in 2022", "2,022 troops") == ["2022"]
    assert unmatched_quantities("in 2022", "two thousand and twenty-two troops") == ["2022"]
    assert unmatched_quantities("in 2022", "in December 2022") == []
    # a plain number may match a passage's four-digit number read as a year
    assert unmatched_quantities("2,000 troops", "2000 troops") == []


def test_unmatched_lists_each_claim_quantity_once() -> None:
    assert unmatched_quantities("5 ships and 5 more, then 7", "none") == ["5", "7"]


def test_no_numbers_nothing_unmatched() -> None:
    assert unmatched_quantities("The alliance endures.", "2 per cent by 2027") == []
    assert unmatched_quantities("one analysis said so", "no numbers here") == []


# --- digits and words agree ------------------------------------------------------------------------


@given(n=st.integers(min_value=0, max_value=10**6), british_and=st.booleans())
def test_digits_and_words_agree(n: int, british_and: bool) -> None:
    digits, words = f"{n:,}", words_for(n, british_and)
    if n == 1:  # a bare "one" is not a quantity (see the module's rule); "1" is
        assert values(words) == []
        assert values(digits) == [(1.0, "")]
    else:
        assert values(digits) == values(words) == [(float(n), "")]
    assert values(f"{digits} per cent") == values(f"{words} per cent") == [(float(n), "percent")]
    assert unmatched_quantities(f"{words} per cent", f"{digits}%") == []


def test_fractions_in_words_match_the_same_share_and_not_another() -> None:
    from assistant.quantities import FRACTION, quantities

    assert [(q.value, q.unit) for q in quantities("two-fifths of which were e-books")] == [
        (0.4, FRACTION)
    ]
    assert quantities("the third increase since October, a bid for a third term") == []
    assert unmatched_quantities("buys three-fifths of the power", "buys 60 per cent of it") == []
    assert unmatched_quantities("buys two-fifths of the power", "buys 60 per cent of it") == [
        "two-fifths"
    ]
    assert unmatched_quantities("up 0.25 points", "up by a quarter of a point") == []
    assert unmatched_quantities("60 per cent of it", "three fifths of the power") == []
    assert unmatched_quantities("a third of the budget", "a quarter of the budget") == ["a third"]


@pytest.mark.parametrize(
    ("claim", "passage", "expected"),
    [
        (
            "Sales paid for about seventy per cent of the cost.",
            "Ticket revenue covered about 70 per cent of the cost.",
            "Sales paid for about 70 per cent of the cost.",
        ),
        (
            "Northline will buy three-fifths of the power.",
            "Northline has agreed to buy 60 per cent of the electricity.",
            "Northline will buy 60 per cent of the power.",
        ),
        # a different value is left as the claim wrote it, for the checks that compare numbers
        (
            "Sales paid for about eighty per cent of the cost.",
            "Ticket revenue covered about 70 per cent of the cost.",
            "Sales paid for about eighty per cent of the cost.",
        ),
        ("No numbers here.", "Nor here.", "No numbers here."),
    ],
)
def test_in_passage_spelling_writes_equal_values_as_the_passage_does(
    claim: str, passage: str, expected: str
) -> None:
    from assistant.quantity_matching import in_passage_spelling

    assert in_passage_spelling(claim, passage) == expected


@pytest.mark.parametrize(
    ("claim", "passage", "unmatched"),
    [
        (
            "It fell from 250 minutes to 165 minutes.",
            "from 4 hours 10 minutes to 2 hours 45 minutes",
            [],
        ),
        ("It fell from 4 hours and 10 minutes.", "It fell from 250 minutes.", []),
        ("The turbines give 1,200 megawatts.", "The turbines give 1.2 gigawatts.", []),
        (
            "The turbines give 1,300 megawatts.",
            "The turbines give 1.2 gigawatts.",
            ["1,300 megawatts"],
        ),
        ("A 38-metre hall.", "A hall 0.038 kilometres long.", []),
        ("It took 3 hours.", "It took 3 days.", ["3 hours"]),
        # two durations side by side are two, not one
        (
            "Each session lasts 50 minutes.",
            "Each session lasts 50 minutes, 10 minutes of which are breaks.",
            [],
        ),
        (
            "Trains leave every 30 minutes.",
            "Trains leave every 30 minutes 15 minutes at peak times.",
            [],
        ),
        # a unit on one side only: the numbers as written
        ("The turbines give 1.2 gigawatts.", "Its output is 1.2.", []),
    ],
)
def test_amounts_with_units_are_compared_as_amounts(
    claim: str, passage: str, unmatched: list[str]
) -> None:
    assert unmatched_quantities(claim, passage) == unmatched


def test_a_hedged_figure_matches_the_source_rounded_as_it_is_written() -> None:
    assert unmatched_quantities("Roughly 67% will be rented.", "About two-thirds will be.") == []
    assert unmatched_quantities("It has roughly 1,500 staff.", "It has 1,487 staff.") == []
    assert unmatched_quantities("Nearly 40 per cent voted.", "38% voted.") == []
    # not near enough, not hedged, or a comparison rather than a hedge
    assert unmatched_quantities("It has roughly 1,600 staff.", "It has 1,487 staff.") == ["1,600"]
    assert unmatched_quantities("It has 1,500 staff.", "It has 1,487 staff.") == ["1,500"]
    assert unmatched_quantities("More than 40% voted.", "38% voted.") == ["40%"]


def test_a_loose_half_matches_a_claim_but_is_never_held_against_a_passage() -> None:
    assert [(q.value, q.unit, q.loose) for q in quantities("Half the staff left.")] == [
        (0.5, "fraction", True)
    ]
    assert unmatched_quantities("About 50% of the cost.", "Roughly half of the cost.") == []
    assert unmatched_quantities("About 40% of the cost.", "Roughly half of the cost.") == ["40%"]
    # "half" is said of 48 per cent too: a claim's loose half is not checked
    assert unmatched_quantities("Half of the cost.", "48% of the cost.") == []
    for unread in ("in the first half of the year", "at half-time", "a half"):
        assert quantities(unread) == []


def test_a_loose_half_stays_a_word_for_the_copy_rules() -> None:
    from assistant.reading.substitutions import _words

    # a figure and the word after it are left to the quantity rules; a loose half is not
    assert "Half" in [w.text for w in _words("Half of the cost came from the council.")]
    assert [w.text for w in _words("Of the cost, 40% came from the council.")] == [
        "cost",
        "council",
    ]


def test_a_unit_in_capitals_is_no_name() -> None:
    from assistant.claims import name_tokens

    assert name_tokens("The dam will produce 540 MW for Hydrenor.") == {"hydrenor"}
    assert name_tokens("The prize is named after James Watt.") == {"james", "watt"}
