"""The README's promises stay true: its commands are the ones CI and the recipes use, and
its licence table is the one the data module applies."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from adaptxfer.tasks.bible.translations import TRANSLATIONS_MARKDOWN

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_exactly_the_two_setup_commands() -> None:
    setup, tests = (block.strip() for block in _bash_blocks()[:2])
    assert "\n" not in setup and "\n" not in tests
    assert setup.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e ")
    main_recipe = setup.split("adaptxfer run ")[-1].split()[0]
    assert (ROOT / main_recipe).is_file()
    assert yaml.safe_load((ROOT / main_recipe).read_text(encoding="utf-8"))["backbone"] == (
        "e5-small"
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci, "CI must run the README's test command verbatim"


def test_readme_licence_table_matches_the_translations_in_use() -> None:
    assert TRANSLATIONS_MARKDOWN.strip() in README


def test_readme_composition_table_is_the_registrys() -> None:
    from adaptxfer.compose.support import support_table_markdown

    assert support_table_markdown() in README
