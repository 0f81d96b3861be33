"""`assistant eval SET... | eval beir DIR | eval squad FILE | ...`: measure the assistant offline.

This module owns the `eval` group and how its arguments are dispatched: a first argument naming
a subcommand runs it (:mod:`assistant.cli.eval_beir`, :mod:`~assistant.cli.eval_squad`,
:mod:`~assistant.cli.eval_verify`, :mod:`~assistant.cli.eval_feedback`); anything else is a list
of question sets run by the group itself (:mod:`assistant.cli.eval_sets`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from assistant.cli.context import AppContext
from assistant.cli.eval_beir import beir_command
from assistant.cli.eval_common import allow_dirty_option
from assistant.cli.eval_feedback import from_feedback_command
from assistant.cli.eval_sets import SetsRun, run_sets
from assistant.cli.eval_squad import squad_command
from assistant.cli.eval_verify import verify_command
from assistant.errors import AssistantError


class EvalGroup(click.Group):
    """A group whose first argument is a subcommand (beir, squad, ...) or else a question-set path.

    With a subcommand, the group's own options keep their defaults and everything after the
    name goes to the subcommand; otherwise every argument is the group's (SET... and options,
    in any order) and the group's callback runs the question sets.
    """

    allow_interspersed_args = True

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            click.Command.parse_args(self, ctx, [])
            ctx.args = args  # the subcommand's name and arguments, for `invoke`
            return ctx.args
        return click.Command.parse_args(self, ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        if not ctx.args:  # question sets: the group's callback runs them
            return super().invoke(ctx)
        name, command, args = self.resolve_command(ctx, ctx.args)
        assert name is not None and command is not None  # parse_args saw the name
        ctx.args = []
        ctx.invoked_subcommand = name
        with ctx:
            click.Command.invoke(self, ctx)
            with command.make_context(name, args, parent=ctx) as sub_ctx:
                return command.invoke(sub_ctx)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(
            ctx.command_path,
            "[OPTIONS] SET... | beir DIR | squad FILE | verify FILE | from-feedback --out FILE",
        )


class _SetsArgument(click.Argument):
    """SET...: left out of the subcommands' usage line (``assistant eval beir ...``)."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []


@click.group(cls=EvalGroup, name="eval", invoke_without_command=True)
@click.argument("sets", nargs=-1, type=click.Path(path_type=Path), cls=_SetsArgument)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("eval/out"),
    show_default=True,
    help="Folder for results.json, summary.md and report.html.",
)
@click.option(
    "--compare",
    "compare_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="An earlier results.json: print the change of every metric.",
)
@click.option(
    "--min",
    "minimums",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Fail (exit 1) when METRIC falls below VALUE (latency_*: above VALUE ms). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@click.option(
    "--k",
    "k",
    type=click.IntRange(1, 100),
    help="Passages retrieved per question (default: the k setting).",
)
@allow_dirty_option
@click.pass_context
def command(
    ctx: click.Context,
    sets: tuple[Path, ...],
    out_dir: Path,
    compare_path: Path | None,
    minimums: tuple[str, ...],
    as_json: bool,
    k: int | None,
    allow_dirty: bool,
) -> None:
    """Evaluate the assistant on question sets (YAML or JSON Lines; see eval/README.md).

    \b
    assistant eval SET... [--out DIR] [--compare OLD/results.json] [--min METRIC=VALUE]...
        Ask every question through the chat's chain; write results.json, summary.md and
        report.html to --out (with the git commit and whether the working tree was dirty;
        into eval/results/ only from a clean tree, unless --allow-dirty). Metrics:
        must_include, exact_match, f1, hit_at_k, recall_at_k, mrr, citation_precision,
        citation_recall, supported, abstention_accuracy,
        has_answer_gold, no_answer_declined and avna (sets with unanswerable items),
        latency_p50_ms, latency_p95_ms.
    assistant eval beir DIR [--split test] [--limit-docs N] [--json]
        Retrieval nDCG@10, recall@100 and MRR@10 on a BEIR folder: dense, BM25 and hybrid.
    assistant eval squad FILE [--articles RANGE] [--sample N --seed S] [--limit N] [--json]
        Answer exact match and F1 on a SQuAD v1.1 or v2.0 JSON file (its contexts become
        documents); with v2.0 also has_answer_gold, no_answer_declined and avna.
    """
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(AppContext)
    if app is None:  # pragma: no cover - main always sets it
        raise AssistantError("eval needs the assistant context")
    run_sets(app, SetsRun(sets, out_dir, compare_path, minimums, as_json, k, allow_dirty))


command.add_command(beir_command)
command.add_command(squad_command)
command.add_command(verify_command)
command.add_command(from_feedback_command)
