"""Verifier rules added for readings the model misses: a figure given the other way ("down 12%"
for "up 12%"), names given each other's words ("goalkeeper Asante" for "striker Asante"), shares
written as ratios, figures a reader works out, common antonyms ("highest" / "lowest"), and a
flipped negation read only where the sentence otherwise says what its source says."""

from __future__ import annotations

import pytest

from assistant.citations import check_sentence
from assistant.quantities import quantities
from assistant.quantity_directions import opposite_amount
from assistant.quantity_matching import unmatched_quantities
from assistant.reading.lexicon import opposed
from assistant.reading.roles import swapped_names
from assistant.testing import FakeEmbedder, FakeReader
from assistant.types import Chunk

CLUB = (
    "Ferrisford Athletic finished fourth, its best finish since 2009. "
    "Striker Kwame Asante scored 19 league goals, while goalkeeper Tom Hartigan kept 14 clean "
    "sheets. Sales of season tickets were up 12% on the previous year, and fewer than 500 seats "
    "were left unsold."
)


def _check(sentence: str, passage: str = CLUB):  # type: ignore[no-untyped-def]
    chunk = Chunk("c1", "doc-1", "Club", "club.txt", passage, 0, len(passage), 1, 1)
    return check_sentence(sentence, (1,), {1: chunk}, FakeEmbedder(), reader=FakeReader())


@pytest.mark.parametrize(
    ("claim", "passage", "found"),
    [
        ("sales fell, down 12% on 2023", "sales rose, up 12% on 2023", ("down 12%", "up 12%")),
        ("it processed 3% less milk", "it processed three per cent more milk",
         ("3% less", "three per cent more")),
        ("more than 10,000 may remain", "fewer than 10,000 may remain",
         ("more than 10,000", "fewer than 10,000")),
        # the same way, or no word beside the figure: nothing to say
        ("sales rose by 12%", "sales up 12%", None),
        ("12 per cent higher", "up 12%", None),
        # the passage gives the figure both ways (of two things): no verdict
        ("imports down 5%", "exports up 5% and imports down 5%", None),
        # the same comparison the other way; the comparison turned round ("than this year")
        ("It has 20 more pupils than last year.", "It has 420 pupils this year, 20 fewer than last year.",
         ("20 more", "20 fewer")),
        ("It had 20 more pupils last year than it has this year.",
         "It has 420 pupils this year, 20 fewer than last year.", None),
    ],
)  # fmt: skip
def test_a_figure_given_the_other_way(
    claim: str, passage: str, found: tuple[str, str] | None
) -> None:
    assert opposite_amount(claim, passage) == found


def test_names_given_each_others_words() -> None:
    swap = swapped_names(
        "Goalkeeper Kwame Asante kept 14 clean sheets, while striker Tom Hartigan scored 19.",
        CLUB,
    )
    assert swap is not None and swap.word == "Goalkeeper" and swap.other == "hartigan"
    # faithful rewordings: the words stay with their names
    assert swapped_names("Kwame Asante scored 19 goals and Tom Hartigan kept 14.", CLUB) is None
    assert swapped_names("Jones was beaten by Smith.", "Smith beat Jones.") is None
    assert swapped_names("BlueWake's Lena Voss said so.", "Lena Voss of BlueWake said so.") is None
    # a word bound to several names of the claim counts for all of them
    claim = "Visitors saw the Varro Museum's Flemish tapestry show."
    assert (
        swapped_names(claim, "The Varro Museum's show of Flemish tapestries drew crowds.") is None
    )


def test_the_rules_reach_the_sentence_status() -> None:
    swapped = _check("Goalkeeper Kwame Asante kept 14 clean sheets.")
    assert swapped.status == "unsupported"
    assert '"Goalkeeper" is said of Hartigan in [1], not of' in swapped.reason
    down = _check("Sales of season tickets were down 12% on the previous year.")
    assert down.status == "contradicted"
    assert '"down 12%" where it says "up 12%"' in down.reason
    more = _check("More than 500 seats were left unsold.")
    assert more.status == "contradicted"
    faithful = _check("Striker Kwame Asante scored 19 league goals.")
    assert faithful.status == "supported", faithful.reason


@pytest.mark.parametrize(
    ("text", "share"),
    [("about one in five households", 0.2), ("seven in ten of the pistes", 0.7),
     ("3 out of 4 voters", 0.75), ("the remaining quarter of the cost", 0.25)],
)  # fmt: skip
def test_ratios_and_remaining_parts_are_shares(text: str, share: float) -> None:
    (found,) = quantities(text)
    assert found.value == pytest.approx(share)
    assert unmatched_quantities(f"{round(share * 100)} per cent", text) == []


def test_figures_a_reader_works_out() -> None:
    journey = "The fastest journey will shrink from 52 minutes to 44 minutes."
    assert unmatched_quantities("It will be eight minutes quicker.", journey) == []
    assert unmatched_quantities("It will be nine minutes quicker.", journey) == ["nine minutes"]
    trial = "The study enrolled 18,000 volunteers, half of whom received a placebo."
    assert unmatched_quantities("Nine thousand volunteers got a placebo.", trial) == []
    assert unmatched_quantities("9,500 volunteers got a placebo.", trial) == ["9,500"]
    # a half is read only where the passage speaks of one
    assert unmatched_quantities("9,000 volunteers.", "The study enrolled 18,000.") == ["9,000"]
    rate = "The share rose from 58% to 71%."
    assert unmatched_quantities("It rose by 13 points.", rate) == []
    assert unmatched_quantities("It rose by 14 points.", rate) == ["14"]


def test_common_opposites_with_many_near_synonyms_are_kept() -> None:
    assert opposed("highest", "lowest")
    assert opposed("dearer", "cheaper")
    assert not opposed("highest", "tallest")


def test_a_flipped_negation_counts_only_in_a_near_copy() -> None:
    passage = "Riders in outlying villages lost their direct services and must change at Eastgate."
    reworded = _check(
        "Villagers no longer have a direct bus and have to change at Eastgate.", passage
    )
    assert "one says not" not in reworded.reason
    flipped = _check(
        "Riders in outlying villages did not lose their direct services.",
        "Riders in outlying villages lost their direct services.",
    )
    assert flipped.status == "contradicted"
    assert "one says not, the other does" in flipped.reason


def test_a_figure_taken_from_another_sentence_is_unsupported() -> None:
    passage = (
        "The network cut routes from 42 to 31 and runs buses every 10 minutes on the eight "
        "busiest corridors. In the first six months, journeys rose by 7%."
    )
    moved = _check("Buses run every 10 minutes on the six busiest corridors.", passage)
    assert moved.status == "unsupported"
    assert "six: the sentences of [1] that say this give eight" in moved.reason
    faithful = _check("Buses run every 10 minutes on the eight busiest corridors.", passage)
    assert faithful.status == "supported", faithful.reason


def test_a_claim_stating_as_done_what_the_source_says_may_be_done() -> None:
    from assistant.reading.certainty import states_as_done

    passage = "The owner said he would consider selling a minority stake to fund a new stand."
    assert states_as_done("The owner has sold a minority stake.", passage) == "sold"
    assert states_as_done("The owner may sell a minority stake.", passage) is None
    assert states_as_done("The owner is considering selling a stake.", passage) is None
    # nouns after a modal ("will reopen to cars", "could cost 600 jobs") are not claims of a deed
    assert states_as_done("The cut costs jobs.", "The cut could cost about 600 jobs.") is None
    # still to come is not done
    plans = "The orchestra plans to release a live recording in spring 2026."
    assert states_as_done("A live recording is due to be released in spring 2026.", plans) is None
    assert states_as_done("The orchestra will have released a recording.", plans) is None
    assert states_as_done("The orchestra has released a live recording.", plans) == "released"
    checked = _check("The owner has sold a minority stake to fund a new stand.", passage)
    assert checked.status == "unsupported"
    assert '"sold" as done, where the cited passage says it may be' in checked.reason


def test_an_added_detail_is_unsupported_and_a_rewording_is_not() -> None:
    from assistant.reading.additions import added_words

    passage = "The lift company spent 14 million euros on snow-making equipment last year."
    added = "The lift company spent 14 million euros on snow-making equipment, paid for partly by a regional subsidy."
    assert added_words(added, passage) == ["paid", "partly", "regional", "subsidy"]
    # a few words changed, or a number spelled out, add nothing
    assert added_words("The firm spent fourteen million euros on snow machines.", passage) == []
    checked = _check(added, passage)
    assert checked.status == "unsupported"
    assert (
        'adds what the cited passage does not say: "paid partly regional subsidy"' in checked.reason
    )


class _Entails:
    """A reader that finds every claim entailed: what the rules decide on their own."""

    calibration = None

    def answers(self, question: str, texts: list[str]) -> list[float]:
        return [1.0] * len(texts)

    def entails(self, claim: str, passages: list[str]):  # type: ignore[no-untyped-def]
        from assistant.reading import Entailment

        return [Entailment("entailed", 1.0, 0.0, 0.0) for _ in passages]


def _rules(sentence: str, passage: str):  # type: ignore[no-untyped-def]
    chunk = Chunk("c1", "doc-1", "T", "t.txt", passage, 0, len(passage), 1, 1)
    return check_sentence(sentence, (1,), {1: chunk}, FakeEmbedder(), reader=_Entails())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        # a negation of the opposite word says the same thing
        ("The club no longer has its stadium.", "The club lost its stadium."),
        ("The pool is not open to the public on Mondays.", "The pool is closed to the public on Mondays."),
        ("The bridge did not pass the safety test.", "The bridge failed the safety test."),
        # active and passive
        ("Ben Ray was interviewed for the magazine by Ann Cole.", "Ann Cole interviewed Ben Ray for the magazine."),
        ("Coach Dana Wells praised striker Omar Haddad.", "Striker Omar Haddad was praised by coach Dana Wells."),
        # a comparison turned round; different things over and under a figure
        ("The old phone costs £200 more than the new one.", "The new phone costs £200 less than the old one."),
        ("Passengers over 12 pay the full fare.", "Children under 12 travel free; everyone else pays the full fare."),
        # two sentences' figures joined; a count over a span
        ("The town has 3 parks and 2 pools.", "The town has 3 parks and 4 schools. Its library was rebuilt last year. It also has 2 pools."),
        ("The team scored 2 goals in 10 minutes.", "The team scored two goals in ten minutes."),
        # a verb after a noun or in another clause is not made possible by "plan" or "aim"
        ("The council approved the plan on Tuesday.", "The council's plan was approved on Tuesday."),
        ("The firm hired 20 staff.", "The firm, which aims to grow, hired 20 staff."),
        ("The family visited the coast every summer.", "Every summer the family would visit the coast."),
    ],
)  # fmt: skip
def test_faithful_rewordings_the_rules_leave_alone(claim: str, passage: str) -> None:
    checked = _rules(claim, passage)
    assert checked.status == "supported", checked.reason


def test_worked_out_figures_need_a_change_or_a_half_of_that_figure() -> None:
    prices = "Tickets cost £12 for adults and £5 for children."
    assert unmatched_quantities("Tickets cost £7 for children.", prices) == ["7"]
    members = "The club has 40 members. In the first half of the year it met twice."
    assert unmatched_quantities("The club has 20 members.", members) == ["20"]


def test_a_name_after_a_preposition_takes_no_role_from_it() -> None:
    passage = "Brazil and Chile held joint naval drills off Valparaiso for the first time."
    claim = "Chile held joint naval drills with Brazil off Valparaiso."
    assert swapped_names(claim, passage) is None
    assert _rules(claim, passage).status == "supported"


MUSEUM = (
    "Nearly half of the tapestries were lent by the Royal Collection in Brussels, and the rest "
    "came from private owners."
)


@pytest.mark.parametrize(
    ("claim", "found"),
    [
        # a copy with one word put in another's place
        ("Nearly half of the tapestries were bought from the Royal Collection in Brussels.",
         ("bought", "lent", False)),
        ("Nearly half of the tapestries were lent by the Royal Collection in Antwerp, and the "
         "rest came from private owners.", ("Antwerp", "Brussels", True)),
        # a synonym WordNet knows, a number respelled, a word left out: no swap
        ("Nearly half of the tapestries were loaned by the Royal Collection in Brussels.", None),
        ("Nearly half of the tapestries were lent by the Royal Collection in Brussels, the "
         "rest by private owners.", None),
        # a rewording changes more than one word: the swap is the reader's to judge
        ("The Royal Collection in Brussels supplied almost half of the tapestries on loan, while "
         "private collectors provided the others.", None),
        # too short to tell a copy from a rewording
        ("Tapestries were bought.", None),
    ],
)  # fmt: skip
def test_a_word_put_in_anothers_place(claim: str, found: tuple[str, str, bool] | None) -> None:
    from assistant.reading.substitutions import swapped_words

    swap = swapped_words(claim, MUSEUM)
    assert (swap and (swap.claim_text, swap.passage_text, swap.names)) == found


def test_figures_and_their_units_are_left_to_the_quantity_rules() -> None:
    from assistant.reading.substitutions import swapped_words

    told = "The health board has promised £18 million to add 60 beds by 2026."
    assert swapped_words("The health board has promised eighteen million pounds to add "
                         "sixty beds by 2026.", told) is None  # fmt: skip
    swap = swapped_words("The health board has refused £18 million to add 60 beds by 2026.", told)
    assert swap is not None and (swap.claim_text, swap.passage_text) == ("refused", "promised")


def test_a_swap_reaches_the_sentence_status_unless_the_words_mean_alike() -> None:
    swapped = _check(
        "Nearly half of the tapestries were bought from the Royal Collection in Brussels.", MUSEUM
    )
    assert swapped.status == "unsupported"
    assert '"bought" where [1] says "lent"' in swapped.reason
    # the fake embedder reads a word as like itself only: "lent" for "lent" is no swap
    assert _check(MUSEUM, MUSEUM).status == "supported"


BANK = (
    "Governor Amalia Ruiz said inflation remained well above target. The bank expects "
    "inflation to fall below 3 per cent by the end of next year."
)


def test_words_added_to_a_copy() -> None:
    from assistant.reading.substitutions import added_to_copy

    window = "The bank expects inflation to fall below 3 per cent by the end of next year."
    claim = window.removesuffix(".") + " as energy prices ease."
    assert added_to_copy(claim, window, BANK) == "energy prices ease"
    # words the passage has elsewhere (a faithful merge of two sentences), or one word: no addition
    merged = "The bank expects inflation, well above target, to fall below 3 per cent by next year."
    assert added_to_copy(merged, window, BANK) is None
    assert added_to_copy(window.removesuffix(".") + " again.", window, BANK) is None
    # a rewording that changes many words is the reader's to judge
    reworded = "By the end of next year, the bank thinks, prices will rise by under 3 per cent as energy gets cheaper."
    assert added_to_copy(reworded, window, BANK) is None
    checked = _check(claim, BANK)
    assert checked.status == "unsupported"
    assert 'adds to what [1] says: "energy prices ease"' in checked.reason


def test_all_where_the_source_says_most() -> None:
    from assistant.reading.substitutions import swapped_quantifier

    told = "Volunteers, most of them retired teachers, spent 20 minutes with each pupil."
    swap = swapped_quantifier(
        "Volunteers, all of them retired teachers, spent 20 minutes with each pupil.", told
    )
    assert swap is not None and (swap.claim_text, swap.passage_text) == ("all", "most")
    assert swapped_quantifier("Most volunteers were retired teachers.", told) is None
    checked = _check(
        "Volunteers, all of them retired teachers, spent 20 minutes with each pupil.", told
    )
    assert checked.status == "unsupported" and '"all" where [1] says "most"' in checked.reason


@pytest.mark.parametrize(
    ("claim", "sentence"),
    [
        # an abbreviation or another form of the same name is no swap
        ("Gov. Kathy Hochul signed the bill into law on Monday.",
         "Governor Kathy Hochul signed the bill into law on Monday."),
        ("Mt. Everest is the highest mountain above sea level.",
         "Mount Everest is the highest mountain above sea level."),
        ("The Japanese economy shrank by 2 per cent in the second quarter.",
         "The Japan economy shrank by 2 per cent in the second quarter."),
    ],
)  # fmt: skip
def test_the_same_name_written_otherwise_is_no_swap(claim: str, sentence: str) -> None:
    from assistant.reading.substitutions import swapped_words

    assert swapped_words(claim, sentence) is None


def test_a_claim_may_say_less_of_a_group_than_its_source_not_more() -> None:
    from assistant.reading.substitutions import swapped_quantifier

    told = "Most experts agree that the policy reduced emissions in the region."
    assert swapped_quantifier("Many experts agree that the policy reduced emissions.", told) is None
    said_all = swapped_quantifier("All experts agree that the policy reduced emissions.", told)
    assert said_all is not None and (said_all.claim_text, said_all.passage_text) == ("all", "most")
    every = "Every year the festival attracts thousands of visitors to the small town."
    assert (
        swapped_quantifier("Each year the festival attracts thousands of visitors.", every) is None
    )


@pytest.mark.parametrize(
    "framing",
    [
        "According to the article, {}",
        "The study found that {}",
        "{}, the authors report",
    ],
)
def test_saying_who_says_it_is_no_addition(framing: str) -> None:
    from assistant.reading.substitutions import added_to_copy

    told = "the new rail line cut travel times between the two cities by forty minutes"
    claim = framing.format(told) + "."
    assert added_to_copy(claim, told[0].upper() + told[1:] + ".", told) is None


def test_the_word_after_a_year_is_no_unit() -> None:
    from assistant.reading.substitutions import swapped_words

    swap = swapped_words(
        "In 2016 Google acquired the robotics startup Boltway for $400 million.",
        "In 2016 Microsoft acquired the robotics startup Boltway for $400 million.",
    )
    assert swap is not None and (swap.claim_text, swap.passage_text, swap.names) == (
        "Google",
        "Microsoft",
        True,
    )


BAKERY = (
    "The bakery chain Crumb & Co reported sales of €96 million for the year to June 2025, up 12% "
    "on the previous year, but its operating profit fell to €3.1 million from €5.4 million."
)


def test_a_premise_is_narrowed_to_the_clauses_a_claim_touches() -> None:
    from assistant.clauses import touched_clauses

    claim = "Crumb & Co had sales of 96 million euros in the year to June 2025, 12% more."
    assert touched_clauses(claim, BAKERY) == (
        "The bakery chain Crumb & Co reported sales of €96 million for the year to June 2025, "
        "up 12% on the previous year."
    )
    # a clause whose subject is the touched one's stays with it: it may take the claim back
    said = "Officials expected sales to rise, but they fell."
    assert touched_clauses("Officials expected sales to rise.", said) == said
    # every clause touched, or none: the premise as it is
    assert touched_clauses("Profit fell and sales rose.", "Sales rose; profit fell.") == (
        "Sales rose; profit fell."
    )
    assert touched_clauses("Bananas are yellow.", BAKERY) == BAKERY


class _ReadsUntouchedClausesAsContradiction:
    """A stand-in for the model's failure: any premise speaking of profit 'contradicts'."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def entails(self, claim: str, passages: list[str]):  # type: ignore[no-untyped-def]
        import numpy as np

        from assistant.reading import entailment_from_probs

        self.read += passages
        return [
            entailment_from_probs(np.array([0.1, 0.1, 0.8] if "profit" in p else [0.9, 0.05, 0.05]))
            for p in passages
        ]


def test_the_reader_also_reads_the_narrowed_premise_and_the_more_entailing_verdict_counts() -> None:
    from assistant.evidence import entails_each

    reader = _ReadsUntouchedClausesAsContradiction()
    claim = "Crumb & Co had sales of ninety-six million euros in the year to June 2025."
    [verdict] = entails_each(reader, claim, [BAKERY])  # type: ignore[arg-type]
    assert verdict.label == "entailed"
    assert reader.read[0] == BAKERY and "profit" not in reader.read[1]
    # the claim about profit touches the profit clause: nothing narrower to read
    reader = _ReadsUntouchedClausesAsContradiction()
    [verdict] = entails_each(
        reader, "Crumb & Co's operating profit fell to €3.1 million.", [BAKERY]
    )  # type: ignore[arg-type]
    assert verdict.label == "contradicted" and reader.read == [BAKERY]


TRIAL = (
    "Velora Biotech said its RSV vaccine was 74% effective against hospital admission in a phase "
    "3 trial. The trial enrolled 18,000 volunteers in four countries. Chief executive Dana Reyes "
    "said the company would seek European approval early next year."
)


def test_a_name_that_comes_with_its_own_fact_from_another_sentence_is_no_swap() -> None:
    joined = _check(
        "Velora Biotech's RSV vaccine was 74% effective against hospital admission, and the "
        "company will seek European approval early next year.",
        TRIAL,
    )
    assert "don't mention" not in joined.reason
    # the chief executive's name put to the trial's finding: moved, not joined
    moved = _check(
        "Dana Reyes found the RSV vaccine 74% effective against hospital admission.", TRIAL
    )
    assert moved.status != "supported" and "don't mention Reyes" in moved.reason


def test_a_moved_name_is_said_as_written_possessive_and_all() -> None:
    from assistant.citations import Quote
    from assistant.evidence import WindowMatches, window_names_verdict

    chunk = Chunk("c1", "doc-1", "Club", "club.txt", CLUB, 0, len(CLUB), 1, 1)
    start = CLUB.index("Striker")
    end = CLUB.index("Sales")
    window = Quote(chunk, start, end)
    matches = WindowMatches((window,), [(1, (window,))], 0.9, (1, CLUB[start:end]))
    claim = (
        "Ferrisford Athletic's striker Kwame Asante scored 19 league goals."  # first word: no name
    )
    _, reason = window_names_verdict(claim, matches)
    assert reason == "the sentences of [1] closest to this don't mention Athletic's"


def test_a_name_from_elsewhere_is_moved_only_in_place_of_one_the_window_gives() -> None:
    from assistant.citations import Quote
    from assistant.evidence import WindowMatches, window_names_verdict

    passage = (
        "Lumatrace was founded in 2021 at the University of Eastfold. Its first commercial "
        "customer, the operator Dunevolt, is trialling the coating near Tazrit. Finance chief "
        "Ana Brook said sales would double."
    )
    chunk = Chunk("c1", "doc-1", "Spin-off", "s.txt", passage, 0, len(passage), 1, 1)
    start, end = passage.index("Its first"), passage.index("Finance")
    window = Quote(chunk, start, end)
    matches = WindowMatches((window,), [(1, (window,))], 0.9, (1, passage[start:end]))
    # the window's names are all in the claim: Lumatrace came with a fact of its own
    joined = "Dunevolt, the first commercial customer of Lumatrace, is trialling it near Tazrit."
    assert window_names_verdict(joined, matches) == (None, None)
    # Ana Brook put where the window says Dunevolt
    moved = "Ana Brook, the first commercial customer, is trialling the coating near Tazrit."
    assert window_names_verdict(moved, matches)[1] == (
        "the sentences of [1] closest to this don't mention Brook"
    )


CHESS = (
    "Grandmaster Elif Sarandou won with 7.5 points from nine rounds, half a point ahead of the "
    "defending champion, Tomasz Wierzba."
)


@pytest.mark.parametrize(
    ("claim", "window", "pair"),
    [
        # the same words between two names given the other way round
        (
            "Tomasz Wierzba won with 7.5 points from nine rounds, half a point ahead of the "
            "defending champion, Elif Sarandou.",
            CHESS,
            ("Tomasz Wierzba", "Elif Sarandou"),
        ),
        (
            "The winery at Lorvais hired 40 pickers from neighbouring Sant Aubri.",
            "The winery at Sant Aubri hired 40 pickers from neighbouring Lorvais.",
            ("Lorvais", "Sant Aubri"),
        ),
        # the same order, a reworded relation, or a turn into the passive: no reversal
        ("Elif Sarandou won, half a point ahead of Tomasz Wierzba.", CHESS, None),
        ("Tomasz Wierzba finished half a point behind the winner, Elif Sarandou.", CHESS, None),
        ("Beta was bought by Alpha in 2020.", "Alpha bought Beta in 2020.", None),
    ],
)
def test_names_given_the_other_way_round(
    claim: str, window: str, pair: tuple[str, str] | None
) -> None:
    from assistant.reading.roles import reversed_names

    assert reversed_names(claim, window) == pair


def test_a_reversal_is_said_and_the_claim_not_supported() -> None:
    checked = _check(
        "Tomasz Wierzba won with 7.5 points from nine rounds, half a point ahead of the "
        "defending champion, Elif Sarandou.",
        CHESS,
    )
    assert checked.status == "unsupported"
    assert "Tomasz Wierzba and Elif Sarandou stand the other way round in [1]" in checked.reason
