"""Verification of generated answers against the passages they cite (fake embedder, no model)."""

from __future__ import annotations

import pytest

from assistant.citations import renumber_verified, split_generated, verify_answer
from assistant.claims import is_connective, name_tokens, number_tokens
from assistant.testing import FakeEmbedder
from assistant.types import Chunk

DEFENCE = (
    "Japan plans to raise defence spending to 2 per cent of GDP by 2027. "
    "Prime Minister Kishida announced the plan in December 2022."
)
SURVEY = "About 65 per cent of respondents supported the alliance. The survey was run by Nikkei."


def chunk(cid: str, text: str) -> Chunk:
    return Chunk(
        chunk_id=cid,
        document_id=f"doc-{cid}",
        title=f"Title {cid}",
        source=f"{cid}.md",
        text=text,
        start=0,
        end=len(text),
        paragraph_start=1,
        paragraph_end=1,
    )


@pytest.fixture
def sources() -> dict[int, Chunk]:
    return {1: chunk("c1", DEFENCE), 2: chunk("c2", SURVEY)}


def check(text: str, sources: dict[int, Chunk]):  # type: ignore[no-untyped-def]
    return verify_answer(text, sources, FakeEmbedder())


def test_split_keeps_markers_with_their_sentence() -> None:
    reply = "First claim about 2027. [1] Second claim [2, 3]. Third [1][2].\n- A list item [4]."
    assert split_generated(reply) == [
        ("First claim about 2027.", (1,)),
        ("Second claim.", (2, 3)),
        ("Third.", (1, 2)),
        ("A list item.", (4,)),
    ]


def test_numbers_are_normalised() -> None:
    assert number_tokens("65 per cent") == number_tokens("65%") == number_tokens("65 percent")
    assert number_tokens("1,000 troops in 2027") == {"1000", "2027"}


def test_names_skip_the_first_word_and_stopwords() -> None:
    assert name_tokens("Japan said The Ishiba government met Trump’s aides in March.") == {
        "ishiba",
        "trump",
        "march",
    }


def test_connectives_carry_no_claim() -> None:
    assert is_connective("Here is what the sources say.")
    assert not is_connective("Spending rose in 2027.")
    assert not is_connective("Spending rose under Kishida.")


def test_supported_sentence(sources: dict[int, Chunk]) -> None:
    (s,) = check("Japan will raise defence spending to 2% of GDP by 2027 [1].", sources).sentences
    assert s.status == "supported", s.reason
    assert s.citations == (1,)
    assert s.quotes[0].text.startswith("Japan plans to raise defence spending")


def test_wrong_number_is_contradicted(sources: dict[int, Chunk]) -> None:
    (s,) = check("About 75 per cent of respondents supported the alliance [2].", sources).sentences
    assert s.status == "contradicted"
    assert "75" in s.reason


def test_name_missing_from_the_cited_passage_is_unsupported(sources: dict[int, Chunk]) -> None:
    (s,) = check("The survey was run by Nikkei and Yomiuri [2].", sources).sentences
    assert s.status == "unsupported"
    assert "yomiuri" in s.reason


def test_right_facts_wrong_passage_is_unsupported(sources: dict[int, Chunk]) -> None:
    (s,) = check("Kishida announced the plan in December 2022 [2].", sources).sentences
    assert s.status == "unsupported"


def test_distant_meaning_is_unsupported(sources: dict[int, Chunk]) -> None:
    (s,) = check("Nikkei readers prefer tea over coffee every morning [2].", sources).sentences
    assert s.status == "unsupported"
    assert "meaning" in s.reason


def test_citation_to_a_missing_source_is_removed(sources: dict[int, Chunk]) -> None:
    verified = check("Kishida announced the plan in December 2022 [1][7].", sources)
    (s,) = verified.sentences
    assert s.citations == (1,)
    assert s.removed == (7,)
    assert s.status == "supported"
    assert verified.removed_citations == 1


def test_only_a_missing_source_leaves_the_sentence_uncited(sources: dict[int, Chunk]) -> None:
    (s,) = check("Kishida announced the plan in December 2022 [9].", sources).sentences
    assert s.status == "uncited"
    assert s.citations == ()


def test_uncited_claim_is_flagged_and_connective_left_out(sources: dict[int, Chunk]) -> None:
    verified = check("Here is the answer. Trump will win the election in 2028.", sources)
    assert [s.status for s in verified.sentences] == ["uncited"]
    assert verified.connectives == ("Here is the answer.",)


def test_renumbering_lists_only_cited_sources_in_order_of_use(
    sources: dict[int, Chunk],
) -> None:
    sources[3] = chunk("c3", "An unrelated passage about fisheries in Hokkaido.")
    verified = check(
        "About 65 per cent of respondents supported the alliance [2]. "
        "Kishida announced the plan in December 2022 [1]. "
        "About 75 per cent backed Trump [2].",
        sources,
    )
    assert [s.status for s in verified.sentences] == ["supported", "supported", "unsupported"]
    text, citations, sentences = renumber_verified(verified.sentences)
    assert [c.chunk_id for c in citations] == ["c2", "c1"]
    assert [c.n for c in citations] == [1, 2]
    assert [s.citations for s in sentences] == [(1,), (2,), (1,)]
    assert text == (
        "About 65 per cent of respondents supported the alliance. [1] "
        "Kishida announced the plan in December 2022. [2]"
    )
    assert "75" not in text
    for c in citations:
        for start, end in c.highlights:
            assert " ".join(c.passage[start:end].split()) in c.quote


def test_the_reader_judges_a_respelled_number_in_the_passage_spelling() -> None:
    from assistant.citations import check_sentence
    from assistant.testing import FakeReader

    claims: list[str] = []

    class Recording(FakeReader):
        def entails(self, claim, passages):  # type: ignore[no-untyped-def]
            claims.append(claim)
            return super().entails(claim, passages)

    reader = Recording()
    source = chunk("1", "Ticket revenue covered about 70 per cent of the exhibition's cost.")
    checked = check_sentence(
        "Ticket revenue covered about seventy per cent of the exhibition's cost.",
        (1,),
        {1: source},
        FakeEmbedder(),
        reader=reader,
    )
    assert claims == ["Ticket revenue covered about 70 per cent of the exhibition's cost."]
    assert checked.status == "supported"


# ---- citation markers and locations: one parser, one label ----


def test_markers_are_parsed_in_one_place() -> None:
    from assistant.markers import (
        format_markers,
        leading_markers,
        marker_numbers,
        parse_markers,
        replace_markers,
        strip_markers,
    )

    text = "Japan will spend more [1][2, 3]. Trade grew [ 4 ; 5 ] too [x] [6"
    assert marker_numbers(text) == [1, 2, 3, 4, 5]
    assert strip_markers(text) == "Japan will spend more. Trade grew too [x] [6"
    first = parse_markers(text)[0]
    assert (text[first.start : first.bracket], text[first.bracket : first.end]) == (" ", "[1]")
    assert leading_markers(" [1] [2]Next [3]") == ([1, 2], 8)
    assert leading_markers("Next [3]") == ([], 0)
    assert replace_markers("a [1] b", lambda m, original: f"<{m.numbers[0]}>") == "a<1> b"
    assert format_markers((1, 3)) == "[1][3]"


def test_chips_and_cited_numbers_come_from_the_same_markers() -> None:
    from assistant.ui.render import cite_markers

    titles = {1: "One", 2: "Two"}
    chipped = cite_markers("A [1]. B [1, 2]. C [7].", titles)
    assert chipped.count('class="cite-ref"') == 3 and "[7]" in chipped
    assert cite_markers("No markers.", titles) == "No markers."


def test_the_location_label_is_built_once() -> None:
    from assistant.citations import Quote, location_of, number_citations, sentence_spans
    from assistant.types import location_label, paragraphs_label

    assert location_label(4) == "paragraph 4" == location_label(4, 4)
    assert location_label(4, 6, page=2) == "page 2, paragraphs 4\u20136"
    assert paragraphs_label([5, 5, 3]) == "paragraphs 5, 3"
    assert paragraphs_label([5, 6], page=2) == "page 2, paragraph 5; page 2, paragraph 6"
    text = "One a. One b.\n\nTwo a.\n\nThree a."
    pdf = Chunk("c", "d", "T", "s", text, 0, len(text), 4, 6, page=2)
    assert pdf.location == "page 2, paragraphs 4\u20136"
    assert location_of(pdf, text.index("Two")) == "page 2, paragraph 5"
    first, last = sentence_spans(text)[0], sentence_spans(text)[-1]
    citations, numbers = number_citations([Quote(pdf, *first), Quote(pdf, *last)])
    assert numbers == [1, 1]
    assert citations[0].location == "page 2, paragraph 4; page 2, paragraph 6"
