"""The offline answerer with the fake embedder: cited sentences, numbering, declines."""

from __future__ import annotations

from assistant.citations import sentence_spans
from assistant.generation.answer_types import answer_type, holds_answer_type
from assistant.generation.base import NO_ANSWER
from assistant.generation.extractive import ExtractiveAnswerer
from assistant.testing import FakeEmbedder, FakeReader
from assistant.types import Answer, Chunk, DeclineReason, ScoredChunk, Turn

P1 = (
    "Japan is buying Tomahawk cruise missiles from the United States. "
    "The purchase is part of an upgrade of its Aegis destroyers by 2027."
)
P2 = "Osaka hosted a robot fair.\n\nThe fair drew many visitors from Korea."


def _hit(cid: str, text: str, paragraph: int = 1) -> ScoredChunk:
    chunk = Chunk(
        cid,
        f"doc-{cid}",
        f"Title {cid}",
        f"{cid}.md",
        text,
        0,
        len(text),
        paragraph,
        paragraph + text.count("\n\n"),
    )
    return ScoredChunk(chunk=chunk, score=0.03)


def _answerer(**kwargs: float) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(FakeEmbedder(), FakeReader(), **kwargs)  # type: ignore[arg-type]


def test_answer_quotes_sentences_and_cites_each() -> None:
    hits = [_hit("a", P1), _hit("b", P2, paragraph=4)]
    answer = _answerer(min_score=0.3).answer("Which cruise missiles is Japan buying?", [], hits)
    assert not answer.abstained
    assert (
        answer.sentences[0].text
        == "Japan is buying Tomahawk cruise missiles from the United States."
    )
    for sentence in answer.sentences:
        assert sentence.status == "supported"
        assert f"{sentence.text} [{sentence.citations[0]}]" in answer.text
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    first = answer.citations[0]
    assert (first.document_id, first.title, first.location) == ("doc-a", "Title a", "paragraph 1")
    start, end = first.highlights[0]
    assert first.passage[start:end] == answer.sentences[0].text


def test_citation_location_is_the_paragraph_of_the_quoted_sentence() -> None:
    hits = [_hit("b", P2, paragraph=4)]
    answer = _answerer(min_score=0.2, margin=0.0).answer(
        "Where did the visitors of the fair come from?", [], hits
    )
    assert answer.citations[0].quote == "The fair drew many visitors from Korea."
    assert answer.citations[0].location == "paragraph 5"


def test_declines_plainly_when_nothing_scores_high_enough() -> None:
    hits = [_hit("a", P1)]
    answer = _answerer(min_score=0.99).answer("How do I bake sourdough bread?", [], hits)
    assert answer == Answer(
        text=NO_ANSWER,
        abstained=True,
        citations=[],
        retrieved=hits,
        backend="extractive",
        decline_reason=DeclineReason.NOTHING_RETRIEVED,
    )
    assert _answerer().answer("anything", [], []).abstained


def test_declines_opinion_questions() -> None:
    answer = _answerer(min_score=0.0).answer(
        "Do you think Japan is buying missiles?", [], [_hit("a", P1)]
    )
    assert answer.abstained and answer.citations == []


def test_pronoun_led_sentence_brings_its_antecedent() -> None:
    text = "In April the allies agreed a big upgrade. This included new command structures and joint drills."
    answer = _answerer(min_score=0.1, max_sentences=1).answer(
        "What did the April allies upgrade include? new command structures", [], [_hit("a", text)]
    )
    assert answer.citations[0].quote == (
        "In April the allies agreed a big upgrade. … This included new command structures and joint drills."
    )
    assert len(answer.citations[0].highlights) == 2


def test_stream_yields_text_then_the_answer() -> None:
    hits = [_hit("a", P1)]
    items = list(_answerer(min_score=0.2).stream("Which missiles is Japan buying?", [], hits))
    final = items[-1]
    assert isinstance(final, Answer)
    assert "".join(i for i in items[:-1] if isinstance(i, str)) == final.text


def test_follow_up_uses_the_previous_question() -> None:
    hits = [_hit("a", P1), _hit("b", P2)]
    history = [
        Turn("user", "What is Japan buying from the United States?"),
        Turn("assistant", "Missiles."),
    ]
    answer = _answerer(min_score=0.2, max_sentences=1).answer("By when?", history, hits)
    assert answer.citations[0].document_id == "doc-a"


def test_answer_types() -> None:
    assert answer_type("When was it set up?") == "date"
    assert answer_type("How many missiles?") == "count"
    assert answer_type("By how much will it grow?") == "number"
    assert answer_type("Who is the prime minister?") == "person"
    assert answer_type("What is the OSA?") is None
    assert answer_type("Which South Korean president took part?") == "person"
    assert answer_type("On what date is the election?") == "day"
    assert answer_type("When and how did he die?") == "date"
    assert answer_type("When a treaty fails, what happens?") is None
    assert answer_type("Who won the battle?") == "name"


def test_an_answer_holds_what_is_asked_and_not_only_what_the_question_says() -> None:
    assert holds_answer_type("date", "In April last year, Japan set it up.", "When?")
    assert not holds_answer_type("date", "Japan set it up to help partners.", "When?")
    assert not holds_answer_type("count", "It uses both internal and external means.", "How many?")
    assert holds_answer_type("count", "It bought 400 missiles in 2024.", "How many missiles?")
    assert not holds_answer_type("count", "It will upgrade them by 2027.", "How many ships?")
    q = "How much higher will the budget be in 2027?"
    assert not holds_answer_type("number", "The budget will be reviewed in 2027.", q)
    assert holds_answer_type("number", "It will be 65 per cent higher in 2027.", q)
    q = "Which Japanese prime minister attended the NATO summit?"
    assert not holds_answer_type(
        "person", "The Japanese prime minister attended a NATO summit in June.", q
    )
    assert holds_answer_type("person", "Prime minister Fumio Kishida attended a NATO summit.", q)
    assert holds_answer_type(None, "Anything at all.", "What is it?")


def test_a_question_of_a_kind_no_sentence_holds_is_declined() -> None:
    hits = [_hit("a", P1)]
    answerer = _answerer(min_score=0.2, min_prob=0.3)
    assert answerer.answer("How many destroyers will Japan upgrade?", [], hits).abstained
    answer = answerer.answer("When will Japan upgrade its Aegis destroyers?", [], hits)
    assert not answer.abstained
    assert "2027" in answer.text


def test_sentence_spans_never_join_paragraphs() -> None:
    spans = sentence_spans(P2)
    assert [P2[s:e] for s, e in spans] == [
        "Osaka hosted a robot fair.",
        "The fair drew many visitors from Korea.",
    ]


def test_finer_answer_types() -> None:
    assert answer_type("On what date is the election?") == "day"
    assert answer_type("In which month did the talks open?") == "month"
    assert answer_type("When is the election?") == "date"
    assert answer_type("What percentage of voters backed it?") == "share"
    assert answer_type("What share of GDP does it spend?") == "share"
    assert answer_type("In which city was the summit held?") == "place"
    # several places are still places; what a question sets aside is not what it asks for
    assert answer_type("Which countries joined?") == "place"
    assert answer_type("With which countries did Japan form the trilateral?") == "place"
    assert answer_type("Besides Japan, which countries are NATO's partners?") == "place"
    assert answer_type("Apart from the summit, what did the minister say?") is None
    # the role word must head the which-phrase: this asks for a word, not a person
    assert answer_type("Which term does the writer use for the plan?") is None
    assert answer_type("What did the minister say?") is None
    assert answer_type("What is the exact yen amount of the budget?") == "money"
    assert answer_type("How much is the budget in dollars?") == "money"
    assert answer_type("How much money was raised?") == "money"
    assert answer_type("How much did the budget grow?") == "number"


def test_a_sum_of_money_has_a_currency() -> None:
    q = "What is the yen amount of the 2027 budget?"
    assert not holds_answer_type("money", "In 2027 the budget will be 65 per cent higher.", q)
    assert not holds_answer_type("money", "It will employ 4,000 people by 2027.", q)
    assert holds_answer_type("money", "The 2027 budget will be ¥8.9 trillion.", q)
    assert holds_answer_type("money", "The 2027 budget will be 60 billion yen.", q)


def test_a_day_a_month_a_share_and_a_count_are_what_they_say() -> None:
    q = "On what date is the election?"
    assert not holds_answer_type("day", "The election is in November 2024.", q)
    assert holds_answer_type("day", "The election is on 5 November 2024.", q)
    assert holds_answer_type("day", "The vote falls on November 5th.", q)
    q = "In which month did the talks open?"
    assert not holds_answer_type("month", "The talks opened in 2023.", q)
    assert holds_answer_type("month", "The talks opened in March 2023.", q)
    q = "What share of GDP does it spend on defence?"
    assert not holds_answer_type("share", "It will spend more on defence by 2027.", q)
    assert holds_answer_type("share", "It spends two per cent of GDP on defence.", q)
    assert holds_answer_type("share", "Nearly half of the budget goes on defence.", q)
    q = "How many personnel serve in the forces?"
    assert not holds_answer_type("count", "The budget will be 65 per cent higher in 2027.", q)
    assert not holds_answer_type("count", "The board promised £18 million for the forces.", q)
    assert holds_answer_type("count", "Some 247,000 personnel serve in the forces.", q)
    assert holds_answer_type("count", "Hundreds of personnel serve abroad.", q)
    # a count asked in a currency is a sum; "European" names no currency
    assert holds_answer_type("count", "It cost ¥5 million.", "How many yen did it cost?")
    q = "How many European countries joined?"
    assert not holds_answer_type("count", "Joining cost €5 million.", q)
    assert holds_answer_type("count", "Twelve countries joined.", q)
    q = "How much will the budget grow?"
    assert holds_answer_type("number", "The budget will be 65 per cent higher in 2027.", q)
    assert holds_answer_type("number", "The budget will double by 2027.", q)
    assert not holds_answer_type("number", "The budget will grow until 2027.", q)


def test_a_place_and_a_titled_person_are_found_where_they_are() -> None:
    q = "In which city was the summit held?"
    assert holds_answer_type("place", "The summit was held in Vilnius in July.", q)
    assert not holds_answer_type("place", "The summit was held in July.", q)
    q = "Besides Japan, which countries are NATO's Indo-Pacific partners?"
    # a hyphenated name the question itself names is no answer
    assert not holds_answer_type("place", "Japan is one of NATO's Indo-Pacific partners.", q)
    assert holds_answer_type("place", "Its Indo-Pacific partners include South Korea.", q)
    q = "Which minister announced the plan?"
    # the title stands before the second "Young", not the first
    assert holds_answer_type("person", "Young people cheered Minister Young.", q)
    assert holds_answer_type("person", "The plan was announced by the Mayor, John Young.", q)
    assert not holds_answer_type("person", "The plan was announced by John Young.", q)


def test_how_long_and_how_often_ask_for_a_span_and_a_rate() -> None:
    assert answer_type("How long did the siege last?") == "duration"
    assert answer_type("How often do the trains run?") == "frequency"
    q = "How long did the siege last?"
    assert holds_answer_type("duration", "The siege lasted three months.", q)
    assert holds_answer_type("duration", "The war began in 1914 and lasted until 1918.", q)
    assert not holds_answer_type("duration", "The siege ended in 1453.", q)
    q = "How often do the trains run?"
    assert holds_answer_type("frequency", "Trains run every 10 minutes.", q)
    assert holds_answer_type("frequency", "It meets twice a year.", q)
    assert not holds_answer_type("frequency", "Trains run to Leeds.", q)


def test_where_asks_for_a_place_and_what_is_the_range_for_a_figure() -> None:
    assert answer_type("Where was the summit held?") == "place"
    assert answer_type("Where did Japan and Germany hold the exercises?") == "place"
    assert answer_type("Where does the article say Japan is heading?") is None
    assert answer_type("What is the range of the missiles?") == "number"
    assert answer_type("What was the population of the town?") == "number"
    assert answer_type("What is the aim of the framework?") is None
    q = "Where did Japan and Germany hold the exercises?"
    assert not holds_answer_type("place", "Japan held exercises with Germany in September.", q)
    assert holds_answer_type("place", "Japan and Germany held exercises in Hokkaido.", q)
    q = "What is the range of the missiles Japan is buying?"
    assert not holds_answer_type("number", "Japan will buy the missiles by 2027.", q)
    assert holds_answer_type("number", "The missiles have a range of 1,600 km.", q)


def test_a_year_naming_which_of_another_thing_dates_nothing_else() -> None:
    s = "Its latest security strategy and its 2023 Defence White Paper set out the spending."
    assert not holds_answer_type("date", s, "When was the security strategy published?")
    assert holds_answer_type("date", s, "When was the Defence White Paper published?")
    # a year that is not a name's own dates the clause
    assert holds_answer_type("date", "In 2019 Trump criticised the alliance.", "When did he?")
