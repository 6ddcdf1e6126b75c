"""The ``adaptxfer`` command: thin parsing around the library.

Exit codes: 0 success, 1 failure while running, 2 bad input (recipe, names, paths).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from adaptxfer import __version__
from adaptxfer.errors import UserError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors name the command and exit 2 like other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row, end_section=row[0] == "average")
    _console().print(table)


# -- commands -------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from adaptxfer.recipes.loading import load_recipe
    from adaptxfer.run import check_output_dir, run_recipe

    recipe = load_recipe(args.recipe, args.set or [])
    if args.output_dir:
        check_output_dir(Path(args.output_dir), args.overwrite)
    result, out = run_recipe(
        recipe,
        Path(args.output_dir) if args.output_dir else None,
        overwrite=args.overwrite,
        store_dir=Path(args.store) if args.store else None,
        recipe_file=str(args.recipe),
    )
    header, rows = result.table_rows()
    print_table(f"{result.name}: {result.target} ({result.metric}, %)", header, rows)
    print(f"results: {out / 'results.json'} and {out / 'results.md'}")
    return EXIT_OK


def cmd_tasks(args: argparse.Namespace) -> int:
    from adaptxfer.tasks.registry import all_tasks

    rows = []
    for task in all_tasks().values():
        if args.role and task.role != args.role:
            continue
        langs = task.languages
        shown = " ".join(langs) if len(langs) <= 8 else f"{' '.join(langs[:8])} … ({len(langs)})"
        rows.append([task.name, task.role, task.kind, task.metric, shown, task.source_name])
    print_table("tasks", ["task", "role", "kind", "metric", "languages", "source"], rows)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"run": cmd_run, "tasks": cmd_tasks}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="adaptxfer",
        description="English intermediate-task training for zero-shot cross-lingual transfer, with adapters.",
    )
    parser.add_argument("--version", action="version", version=f"adaptxfer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="run one recipe",
        description="Train and evaluate one recipe; write results.json and results.md into a run dir.",
    )
    run.add_argument(
        "recipe", type=Path, help="recipe YAML file, e.g. recipes/bible/para-en_to_para-x.yaml"
    )
    run.add_argument("--output-dir", "-o", help="run dir (default: runs/<recipe>-<time>)")
    run.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a recipe key, e.g. --set train.max_steps=50 (repeatable)",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a finished run in --output-dir (only once the new run finishes)",
    )
    run.add_argument(
        "--store", help="share intermediate adapters across runs through this store dir"
    )

    tasks = sub.add_parser(
        "tasks",
        help="list the tasks adaptxfer knows",
        description="List every task: role, kind, metric, languages and data source.",
    )
    tasks.add_argument("--role", choices=["intermediate", "target"], help="only this role")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UserError as err:
        print(f"adaptxfer {args.command}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"adaptxfer {args.command}: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception:
        traceback.print_exc()
        print(f"adaptxfer {args.command}: failed (see the traceback above)", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
