"""Building the reader's lexicon from WordNet's data files, and the one-word training pairs made
with WordNet, on a tiny WordNet written here in WordNet's own file format."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.reading.build_lexicon import build
from assistant.reading.lexical_pairs import Senses, _one_pair

# offset lex_filenum ss_type w_cnt (word lex_id)... p_cnt (symbol offset pos source/target)... | gloss
VERBS = """\
00000010 30 v 01 increase 0 001 ~ 00000030 v 0000 | become bigger
00000020 30 v 01 decrease 0 001 ~ 00000040 v 0000 | become smaller
00000030 30 v 02 rise 0 climb 0 001 @ 00000010 v 0000 | go up
00000040 30 v 02 fall 0 drop 0 001 @ 00000020 v 0000 | go down
00000050 40 v 02 acquire 0 purchase 0 001 @ 00000070 v 0000 | obtain by paying
00000060 40 v 01 borrow 0 001 @ 00000070 v 0000 | get temporarily
00000070 40 v 01 get 0 002 ~ 00000050 v 0000 ~ 00000060 v 0000 | come into possession
"""
ADJECTIVES = """\
00000100 00 a 01 high 0 001 ! 00000110 a 0101 | greater than normal
00000110 00 a 01 low 0 001 ! 00000100 a 0101 | less than normal
"""
NOUNS = """\
00000200 06 n 02 motorcar 0 automobile 0 001 @ 00000210 n 0000 | a motor vehicle
00000210 06 n 01 vehicle 0 002 ~ 00000200 n 0000 ~ 00000220 n 0000 | a conveyance
00000220 06 n 01 lorry 0 001 @ 00000210 n 0000 | a goods vehicle
00007846 03 n 01 person 0 000 | a human being
00000300 18 n 01 president 0 001 @ 00007846 n 0000 | a head of state
00000310 18 n 01 lincoln 0 001 @i 00000300 n 0000 | a president
00000320 18 n 01 north 0 001 @i 00000300 n 0000 | a prime minister
00000330 15 n 01 north 0 000 | a compass point
"""
SENSES = {  # word%ss_type -> (offset, sense number, tagged uses)
    "increase%2": ("00000010", 1, 20),
    "decrease%2": ("00000020", 1, 10),
    "rise%2": ("00000030", 1, 30),
    "climb%2": ("00000030", 1, 8),
    "fall%2": ("00000040", 1, 30),
    "drop%2": ("00000040", 1, 9),
    "acquire%2": ("00000050", 1, 40),
    "purchase%2": ("00000050", 1, 6),
    "borrow%2": ("00000060", 1, 7),
    "get%2": ("00000070", 1, 90),
    "high%3": ("00000100", 1, 30),
    "low%3": ("00000110", 1, 30),
    "motorcar%1": ("00000200", 1, 40),
    "automobile%1": ("00000200", 1, 5),
    "vehicle%1": ("00000210", 1, 20),
    "lorry%1": ("00000220", 1, 4),
    "lincoln%1": ("00000310", 1, 0),
    "north%1": ("00000330", 1, 12),
}


@pytest.fixture
def wordnet(tmp_path: Path) -> Path:
    (tmp_path / "data.verb").write_text(VERBS)
    (tmp_path / "data.adj").write_text(ADJECTIVES)
    (tmp_path / "data.noun").write_text(NOUNS)
    (tmp_path / "data.adv").write_text("")
    lines = [f"{key}:00:00:: {off} {num} {uses}" for key, (off, num, uses) in SENSES.items()]
    (tmp_path / "index.sense").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_directions_come_from_hypernyms_of_increase_and_decrease(wordnet: Path) -> None:
    lexicon = build(wordnet)
    assert lexicon["direction"] == {
        "climb": 1,
        "decrease": -1,
        "drop": -1,
        "fall": -1,
        "increase": 1,
        "rise": 1,
    }


def test_common_words_leave_out_words_that_chiefly_name_people(wordnet: Path) -> None:
    words = build(wordnet)["words"]
    assert isinstance(words, list)
    assert {"rise", "motorcar", "high", "president", "north"} <= set(
        words
    )  # north: also a direction
    assert "lincoln" not in words


def test_antonyms_and_synonyms_are_read_off_the_pointers(wordnet: Path) -> None:
    lexicon = build(wordnet)
    assert lexicon["antonyms"] == {"high": ["low"], "low": ["high"]}
    synonyms = lexicon["synonyms"]
    assert isinstance(synonyms, dict)
    assert synonyms["rise"] == ["climb"]
    assert synonyms["fall"] == ["drop"]
    assert (
        "acquire" not in synonyms
    )  # only words the verifier compares: with a direction or antonym


def test_senses_give_synonyms_hypernyms_and_co_hyponyms(wordnet: Path) -> None:
    senses = Senses(wordnet)
    assert senses.related("acquire", "v", "synonym") == ["purchase"]
    assert senses.related("acquire", "v", "co-hyponym") == ["borrow"]
    assert senses.related("motorcar", "n", "hypernym") == ["vehicle"]
    assert senses.related("motorcar", "n", "co-hyponym") == ["lorry"]
    assert senses.related("vehicle", "n", "hyponym") == ["automobile", "lorry", "motorcar"]


@pytest.mark.parametrize(
    ("sentence", "origins"),
    [
        (
            "The company purchased three buildings in the old town.",
            {"lexical-synonym", "lexical-co-hyponym"},
        ),
        (
            "Output climbed by a fifth over the following decade.",
            {"lexical-direction", "lexical-synonym"},
        ),
    ],
)
def test_one_word_pairs_keep_the_inflection_and_label_the_change(
    wordnet: Path, sentence: str, origins: set[str]
) -> None:
    senses = Senses(wordnet)
    made = [_one_pair(senses, sentence, random.Random(seed)) for seed in range(40)]
    pairs = [p for p in made if p is not None]
    assert {p.origin for p in pairs} == origins
    for pair in pairs:
        assert pair.first == sentence
        assert pair.second != sentence
        changed = [b for a, b in zip(sentence.split(), pair.second.split(), strict=True) if a != b]
        assert len(changed) == 1
        expected = {
            ("lexical-synonym", "purchased"): ("acquired", 0),
            ("lexical-co-hyponym", "purchased"): ("borrowed", 1),
            ("lexical-synonym", "climbed"): ("rose", 0),
        }
        was = "purchased" if "purchased" in sentence else "climbed"
        if (pair.origin, was) in expected:
            assert (changed[0], pair.label) == expected[(pair.origin, was)]
        else:  # a verb of the opposite direction, in the past tense like "climbed"
            assert pair.label == 2
            assert changed[0].endswith("ed") or changed[0] in {"fell", "cut", "shrank", "sank"}


def test_question_pairs_change_a_word_the_sentence_uses(wordnet: Path) -> None:
    from assistant.reading.lexical_pairs import _question_pair

    senses = Senses(wordnet)
    sentence = "In 2010 the company purchased an automobile for its director."
    question = "Which automobile did the company purchase in 2010?"
    made = [_question_pair(senses, question, sentence, random.Random(seed)) for seed in range(40)]
    pairs = {(p.first, p.label, p.origin) for p in made if p is not None}
    # "purchase" may be a noun or a verb, so it is left alone
    assert pairs == {
        ("Which lorry did the company purchase in 2010?", 0, "lexical-question-co-hyponym"),
        ("Which motorcar did the company purchase in 2010?", 1, "lexical-question-synonym"),
    }
    assert all(p.second == sentence and p.task == "answer" for p in made if p is not None)
