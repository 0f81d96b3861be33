"""`assistant eval verify FILE`: how the citation checker judges claims of a verification set
(see :mod:`assistant.evaluation.verification`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from assistant.cli.context import AppContext, pass_app, print_json
from assistant.cli.eval_common import allow_dirty_option
from assistant.runtime import Runtime

if TYPE_CHECKING:  # the evaluation package is imported when a run starts
    from assistant.evaluation.verification import Checker, VerificationPair


@click.command("verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write every row and the metrics to this JSON file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@allow_dirty_option
@pass_app
def verify_command(
    app: AppContext, file: Path, out_file: Path | None, as_json: bool, allow_dirty: bool
) -> None:
    """How the citation checker judges LLM sentences: a verification set (see eval/README.md).

    Each claim is checked against its passage as an LLM sentence citing it would be; reported are
    the share of faithful claims accepted and of wrong claims shown as supported, per kind.
    """
    from assistant.evaluation.report import check_results_target, git_provenance
    from assistant.evaluation.verification import load_verification_set, run_verification

    if out_file is not None:
        check_results_target(out_file, allow_dirty=allow_dirty)
    provenance = git_provenance()
    pairs = load_verification_set(file)
    result = run_verification(pairs, _checker(app.runtime))
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(
            json.dumps({"file": str(file), "meta": provenance, **result}, indent=2) + "\n"
        )
    if as_json:
        print_json({"file": str(file), "metrics": result["metrics"], "by_kind": result["by_kind"]})
    else:
        _print_result(file, result)


def _checker(runtime: Runtime) -> Checker:
    """pair -> (status, reason): the claim checked as an LLM sentence citing its passage [1]."""
    from assistant.evaluation.verification import check_pair

    reader = runtime.reader
    calibration = reader.calibration

    def check(pair: VerificationPair) -> tuple[str, str]:
        checked = check_pair(
            pair,
            runtime.embedder,
            reader,
            min_entailed=calibration.min_entailed,
            min_contradicted=calibration.min_contradicted,
        )
        return checked.status, checked.reason

    return check


def _print_result(file: Path, result: dict[str, Any]) -> None:
    console = Console()
    metrics = result["metrics"]
    console.print(
        f"{file}: {metrics['n_faithful']} faithful, {metrics['n_wrong']} wrong claims\n"
        f"  faithful accepted     {metrics['faithful_accepted']}\n"
        f"  wrong shown supported {metrics['wrong_supported']}\n"
        f"  wrong contradicted    {metrics['wrong_contradicted']}"
    )
    table = Table("label/kind", "n", "supported")
    for name, row in result["by_kind"].items():
        table.add_row(name, str(row["n"]), str(row["supported"]))
    console.print(table)
