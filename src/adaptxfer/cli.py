"""The ``adaptxfer`` command: thin parsing around the library.

Exit codes: 0 success, 1 failure while running, 2 bad input (recipe, names, paths),
130 / 143 stopped by Ctrl-C / SIGTERM (after saving a checkpoint when training).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from adaptxfer import __version__
from adaptxfer.errors import UserError
from adaptxfer.interrupts import Interrupted, raising
from adaptxfer.listing import Listing, add_format_option, show

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors name the command and exit 2 like other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


# -- commands -------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from adaptxfer.output_dirs import claim_run_dir
    from adaptxfer.run_log import quiet_console

    out = claim_run_dir(Path(args.output_dir), args.overwrite) if args.output_dir else None
    with quiet_console(args.verbose):  # before the imports: bitsandbytes logs on import
        from adaptxfer.recipes.loading import load_recipe
        from adaptxfer.run import run_recipe

        recipe = load_recipe(args.recipe, args.set or [])
        result, out = run_recipe(
            recipe,
            out,
            overwrite=args.overwrite,
            store_dir=Path(args.store) if args.store else None,
            recipe_file=str(args.recipe),
        )
    header, rows = result.table_rows()
    title = f"{result.name}: {result.target} ({result.metric}, %)"
    show(Listing(title, header, rows, right=frozenset(header[1:])))
    print(f"results: {out / 'results.json'} and {out / 'results.md'}; log: {out / 'run.log'}")
    return EXIT_OK


def cmd_tasks(args: argparse.Namespace) -> int:
    from adaptxfer.tasks.registry import all_tasks

    rows = [
        [
            task.name,
            task.role,
            task.kind,
            task.category,
            task.metric,
            task.floor.describe() if task.floor else "",
            list(task.languages),
            list(task.other_train_languages),
            task.source_name,
        ]
        for task in all_tasks().values()
        if not args.role or task.role == args.role
    ]
    columns = [
        "task",
        "role",
        "kind",
        "category",
        "metric",
        "floor",
        "languages",
        "train_languages",  # besides English: ``task@lang`` intermediates
        "source",
    ]
    show(Listing(f"tasks ({len(rows)})", columns, rows), args.format)
    return EXIT_OK


def cmd_grid(args: argparse.Namespace) -> int:
    from adaptxfer.output_dirs import claim_grid_dir
    from adaptxfer.run_log import quiet_console

    if args.format != "table" and not args.dry_run:
        raise UserError(f"--format {args.format} lists the cells: use it with --dry-run")
    out = Path(args.output_dir) if args.output_dir else Path("runs") / Path(args.grid).stem
    out = claim_grid_dir(out) if not args.dry_run else out
    if args.dry_run:
        from adaptxfer.grid import load_grid

        grid = load_grid(args.grid, out, args.set or [])
        jobs = grid.intermediate_jobs()
        rows = [[c.id, str(c.status()), str(c.dir)] for c in grid.cells]
        title = f"grid {grid.name}: {len(grid.cells)} cells, {len(jobs)} intermediate adapters"
        show(Listing(title, ["cell", "status", "run_dir"], rows), args.format)
        return EXIT_OK
    with quiet_console(args.verbose):  # before the imports: bitsandbytes logs on import
        from adaptxfer.grid import load_grid, run_grid
        from adaptxfer.report import build_report

        grid = load_grid(args.grid, out, args.set or [])
        outcome = run_grid(
            grid,
            out,
            engine=args.engine,
            num_cpus=args.num_cpus,
            num_gpus=args.num_gpus,
            ray_address=args.ray_address,
        )
        files = None
        if len(outcome.ran) + len(outcome.skipped):
            files = build_report([out / "cells"], out / "report")
    print(
        f"grid {grid.name}: ran {len(outcome.ran)}, skipped {len(outcome.skipped)} finished, "
        f"failed {len(outcome.failed)} ({outcome.seconds:.0f} s); log: {out / 'run.log'}"
    )
    for cell, why in outcome.failed.items():
        print(f"  failed {cell}: {why}", file=sys.stderr)
    if files is not None:
        print(f"report: {files.markdown} and {files.html} ({files.runs} runs)")
    return EXIT_FAILURE if outcome.failed else EXIT_OK


def cmd_study(args: argparse.Namespace) -> int:
    from adaptxfer.output_dirs import claim_grid_dir
    from adaptxfer.run_log import quiet_console

    suffix = "-quick" if args.quick else ""
    out = Path(args.output_dir) if args.output_dir else Path("runs") / (args.study.stem + suffix)
    if args.dry_run:
        from adaptxfer.memory import GIB, available_bytes, device_for_runs
        from adaptxfer.studies.load import cell_estimates, load_study

        study = load_study(args.study, out, quick=args.quick, overrides=args.set or [])
        device = device_for_runs()
        estimates = cell_estimates(study.grid, device)
        rows = [
            [c.id, str(c.status()), f"{e.total / GIB:.2f}" if e else "?"]
            for c, e in ((c, estimates[c.id]) for c in study.grid.cells)
        ]
        title = f"study {study.name}: {len(rows)} cells" + (" (quick form)" if args.quick else "")
        show(Listing(title, ["cell", "status", "peak_GiB"], rows, right=frozenset({"peak_GiB"})))
        print(f"question: {study.spec.question}")
        known = [e for e in estimates.values() if e is not None]
        free = available_bytes(device)
        if known:
            worst = max(known, key=lambda e: e.total)
            print(f"largest estimated peak: {worst.describe()}")
            if free is not None:
                fits = "fits" if worst.total <= free else "does NOT fit (a run would refuse)"
                print(f"{device} here has {free / GIB:.2f} GiB free: {fits}")
        return EXIT_OK
    out = claim_grid_dir(out)
    with quiet_console(args.verbose):  # before the imports: bitsandbytes logs on import
        from adaptxfer.studies.load import load_study
        from adaptxfer.studies.run import run_study

        study = load_study(args.study, out, quick=args.quick, overrides=args.set or [])
        result = run_study(
            study, out, engine=args.engine, num_cpus=args.num_cpus, num_gpus=args.num_gpus,
            ray_address=args.ray_address,
        )  # fmt: skip
    outcome = result.grid
    print(
        f"study {study.name}: ran {len(outcome.ran)}, skipped {len(outcome.skipped)} finished, "
        f"failed {len(outcome.failed)} ({outcome.seconds:.0f} s); log: {out / 'run.log'}"
    )
    for cell, why in outcome.failed.items():
        print(f"  failed {cell}: {why}", file=sys.stderr)
    if result.report is not None:
        print(f"report: {result.report} (per-language tables: {out / 'report'})")
    return EXIT_FAILURE if outcome.failed else EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from adaptxfer.grid.status import read_status

    status = read_status(Path(args.grid_dir))
    if args.format == "json":
        print(json.dumps(status.to_dict(), indent=2))
        return EXIT_OK
    cells = Listing(
        f"cells of grid {status.name}",
        ["cell", "state", "seconds", "note"],
        [[c.id, c.state, c.seconds, c.note] for c in status.cells],
        right=frozenset({"seconds"}),
    )
    if args.format == "csv":
        show(cells, "csv")
        return EXIT_OK
    print("\n".join(status.lines()))
    if args.cells:
        print()
        show(cells)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from adaptxfer.report import build_report

    paths = [Path(p) for p in args.run_dirs]
    out = (
        Path(args.output)
        if args.output
        else (paths[0] if len(paths) == 1 else Path(".")) / "report"
    )
    files = build_report(paths, out)
    print(f"report over {files.runs} run(s): {files.markdown} and {files.html}")
    for path in [*files.csv, *files.images]:
        print(f"  {path}")
    return EXIT_OK


def recipes_root(given: str | None) -> Path:
    """``--dir``, else ./recipes, else the recipes folder of this checkout."""
    if given:
        return Path(given)
    here = Path("recipes")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "recipes"


def cmd_recipes(args: argparse.Namespace) -> int:
    from adaptxfer.recipes import generate

    root = recipes_root(args.dir)
    if args.write:
        written = generate.write(root)
        print(f"wrote {len(written)} of {len(generate.generate())} generated recipes under {root}")
        return EXIT_OK
    if args.check:
        problems = generate.differences(root)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("regenerate with: adaptxfer recipes --write", file=sys.stderr)
            return EXIT_FAILURE
        print(f"all {len(generate.generate())} generated recipes under {root} are up to date")
        return EXIT_OK
    from adaptxfer.recipes.loading import list_recipes

    rows = []
    for entry in list_recipes(root):
        if args.intermediate and args.intermediate not in entry.intermediates:
            continue
        if args.target and args.target != entry.target:
            continue
        if args.benchmark and args.benchmark != entry.group:
            continue
        rows.append([entry.name, " > ".join(entry.intermediates), entry.target, str(entry.path)])
    if not rows:
        print(f"no recipes under {root} match", file=sys.stderr)
        return EXIT_BAD_INPUT
    columns = ["recipe", "intermediate", "target", "path"]
    show(Listing(f"recipes ({len(rows)})", columns, rows), args.format)
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    from adaptxfer.hub.export import claim_export_dir
    from adaptxfer.hub.push import push

    dry_run_dir = None
    if args.dry_run:
        default = Path("hub-upload") / (args.repo or args.repo_prefix or "repo").split("/")[-1]
        dry_run_dir = claim_export_dir(Path(args.output) if args.output else default)
    elif args.output:
        raise UserError("--output names the --dry-run folder; add --dry-run (or drop --output)")
    pushed = push(
        Path(args.path),
        repo=args.repo,
        repo_prefix=args.repo_prefix,
        private=args.private,
        revision=args.revision,
        license=args.license,
        dry_run_dir=dry_run_dir,
    )
    for item in pushed:
        if item.folder is not None:
            print(
                f"dry run: {item.repo_id} would get {len(item.files)} files, written to {item.folder}:"
            )
        else:
            print(f"pushed {item.repo_id} ({len(item.files)} files): {item.commit_url}")
        for name in item.files:
            print(f"  {name}")
    return EXIT_OK


def cmd_pull(args: argparse.Namespace) -> int:
    from adaptxfer.artifacts import Manifest
    from adaptxfer.hub.pull import pull

    pulled = pull(args.repo, args.revision, Path(args.store) if args.store else None)
    manifest = Manifest.read(pulled.path)
    method = manifest.adapters[0].method.get("name", "?")
    print(f"pulled {pulled.repo_id} at {pulled.commit}: {manifest.task} ({method}, "
          f"{manifest.library}) on {manifest.backbone} ({manifest.quantization})")  # fmt: skip
    print(f"store entry: {pulled.path}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "grid": cmd_grid,
    "study": cmd_study,
    "report": cmd_report,
    "status": cmd_status,
    "tasks": cmd_tasks,
    "recipes": cmd_recipes,
    "push": cmd_push,
    "pull": cmd_pull,
}


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
    _add_verbose_option(run)

    grid = sub.add_parser(
        "grid",
        help="run a study: intermediate × target × composition × seed",
        description=(
            "Expand GRID.yaml into one run per cell, train each intermediate adapter once "
            "(shared store), skip finished cells (resumable), then write the report."
        ),
    )
    grid.add_argument("grid", type=Path, help="grid YAML file, e.g. recipes/grids/bible-small.yaml")
    grid.add_argument("--output-dir", "-o", help="grid dir (default: runs/<grid name>)")
    grid.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a key of the base recipe"
    )
    grid.add_argument(
        "--engine", choices=["local", "ray"], default="local",
        help="local: cells in sequence here; ray: cells as Ray tasks (default: local)",
    )  # fmt: skip
    grid.add_argument("--num-cpus", type=float, default=1, help="CPUs per Ray task (default 1)")
    grid.add_argument(
        "--num-gpus", type=float, help="GPUs per Ray task (default: 1 if the cluster has GPUs)"
    )
    grid.add_argument("--ray-address", help="an existing Ray cluster (default: start a local one)")
    grid.add_argument("--dry-run", action="store_true", help="list the cells and stop")
    add_format_option(grid)
    _add_verbose_option(grid)

    study = sub.add_parser(
        "study",
        help="answer a research question: a grid plus its comparison (recipes/studies)",
        description=(
            "Run STUDY.yaml's grid (resumable, local or Ray), then write report.md with "
            "figures and an Answer computed from the runs: the paired difference over seeds, "
            "its 95% CI, and whether it supports the hypothesis."
        ),
    )
    study.add_argument("study", type=Path, help="study file, e.g. recipes/studies/q4-...yaml")
    study.add_argument("--output-dir", "-o", help="study dir (default: runs/<file name>)")
    study.add_argument("--quick", action="store_true", help="the file's small `quick` form")
    study.add_argument(
        "--dry-run", action="store_true", help="list cells and peak-memory estimates; train nothing"
    )
    study.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a study or recipe key"
    )
    study.add_argument("--engine", choices=["local", "ray"], default="local")
    study.add_argument("--num-cpus", type=float, default=1, help="CPUs per Ray task (default 1)")
    study.add_argument("--num-gpus", type=float, help="GPUs per Ray task")
    study.add_argument("--ray-address", help="an existing Ray cluster")
    _add_verbose_option(study)

    status = sub.add_parser(
        "status",
        help="how far a grid is (running here, on Ray, or killed)",
        description=(
            "Read a grid dir and print cells done / running / failed / left, intermediate "
            "adapters trained and reused, elapsed time and an estimate."
        ),
    )
    status.add_argument("grid_dir", metavar="GRID_DIR", help="the grid's --output-dir")
    status.add_argument("--cells", action="store_true", help="also list every cell's state")
    add_format_option(status)

    report = sub.add_parser(
        "report",
        help="tables and figures from run dirs",
        description=(
            "Rebuild report.md, summary.csv, scores.csv, a Δ heatmap and per-language bar "
            "charts from run dirs (a grid dir holds many)."
        ),
    )
    report.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run dirs or grid dirs")
    report.add_argument(
        "--output", "-o", help="report folder (default: RUN_DIR/report for one dir, else ./report)"
    )

    recipes = sub.add_parser(
        "recipes",
        help="list the shipped recipes (or regenerate them)",
        description="List recipes (name, intermediate, target, path); --write/--check the generated ones.",
    )
    recipes.add_argument("--intermediate", help="only recipes with this intermediate task")
    recipes.add_argument("--target", help="only recipes with this target task")
    recipes.add_argument("--benchmark", help="only this folder: bible, xtreme, xtreme-r")
    recipes.add_argument("--dir", help="recipes folder (default: ./recipes)")
    action = recipes.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="regenerate the generated recipes")
    action.add_argument(
        "--check", action="store_true", help="exit 1 if a generated recipe is stale"
    )
    add_format_option(recipes)

    tasks = sub.add_parser(
        "tasks",
        help="list the tasks adaptxfer knows",
        description=(
            "List every task: role, kind, category (a target's category, an intermediate "
            "task's group), metric, floor (what an input-blind answer "
            "scores: majority class or chance), languages, train_languages (other languages "
            "with training data, for task@lang intermediates) and data source."
        ),
    )
    tasks.add_argument("--role", choices=["intermediate", "target"], help="only this role")
    add_format_option(tasks)
    _add_hub_commands(sub)
    return parser


def _add_verbose_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="also show other libraries' messages on the console (they always go to run.log)",
    )


def _add_hub_commands(sub: argparse._SubParsersAction) -> None:
    push = sub.add_parser(
        "push",
        help="share an adapter on the Hugging Face Hub",
        description=(
            "Upload an artifact (a store entry, a run's target-arm model, or a run dir) to one "
            "Hub repo, or every intermediate adapter of a grid dir to one repo each: the "
            "adapter in peft / adapters layout, head, artifact.json, recipe, results and a "
            "model card. Token: HF_TOKEN or `huggingface-cli login`."
        ),
    )
    push.add_argument("path", metavar="ARTIFACT_OR_RUN_DIR", help="artifact, run dir or grid dir")
    target = push.add_mutually_exclusive_group(required=True)
    target.add_argument("--repo", help="OWNER/NAME (an artifact or run dir)")
    target.add_argument("--repo-prefix", help="OWNER/PREFIX: one repo per adapter (a grid dir)")
    push.add_argument("--private", action="store_true", help="create the repo(s) private")
    push.add_argument("--revision", help="push to this branch (created if missing)")
    push.add_argument("--license", help="licence id for the card (default: the backbone's)")
    push.add_argument(
        "--dry-run", action="store_true", help="write the folder that would be uploaded, list it"
    )
    push.add_argument("--output", "-o", help="the --dry-run folder (default: hub-upload/NAME)")

    pull = sub.add_parser(
        "pull",
        help="download a shared adapter into the store",
        description=(
            "Download OWNER/NAME (JSON and safetensors only, checked before use) into a store; "
            "recipes take it with intermediate: {tasks: [...], from_hub: OWNER/NAME}."
        ),
    )
    pull.add_argument("repo", metavar="OWNER/NAME")
    pull.add_argument("--revision", help="branch, tag or commit (default: main)")
    pull.add_argument("--store", help="store dir (default: ~/.cache/adaptxfer/store)")


def interruption(err: Interrupted, args: argparse.Namespace) -> str:
    """What a stopped command saved and how to resume it."""
    said = f"stopped by {err.signal_name}"
    if err.saved:
        said += f": saved {err.saved}"
    elif err.kept:
        said += f": finished phases are kept in {err.kept}"
    elif args.command == "run":
        said += ": nothing was saved"
    resumable = args.command in ("grid", "study") or (
        args.command == "run" and (err.saved or err.kept)
    )
    if not resumable:
        return said
    if args.command == "run" and not args.output_dir and err.run_dir:  # a new name each time
        return f"{said}; rerun the same command with -o {err.run_dir} to resume"
    return f"{said}; rerun the same command to resume"


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        with raising():  # Ctrl-C and SIGTERM: Interrupted, below
            return COMMANDS[args.command](args)
    except UserError as err:
        print(f"adaptxfer {args.command}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Interrupted as err:
        print(f"adaptxfer {args.command}: {interruption(err, args)}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"adaptxfer {args.command}: interrupted", file=sys.stderr)
        return Interrupted(signal.SIGINT).exit_code
    except Exception:
        traceback.print_exc()
        print(f"adaptxfer {args.command}: failed (see the traceback above)", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
