"""Numeric answers as multiple choice (GSM8K, MGSM): read a worked solution's final answer
and build four choices that carry no surface cue.

The choices are an arithmetic progression around the gold answer (step 1, 2, 5 or 10 tenths
of its order of magnitude), the gold at a position drawn from a hash of the question, so
its rank among them is uniform and no size, length or number seen in the solution gives
it away; every run and machine draws the same choices.
"""

from __future__ import annotations

import hashlib
import random
import re

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
CHOICES = 4
STEPS = (1, 2, 5, 10)  # tenths of the answer's magnitude


def number(text: str) -> str | None:
    """A number in canonical form ("1,200.0" -> "1200"), or None."""
    try:
        value = float(text.replace(",", "").rstrip("."))
    except ValueError:
        return None
    return str(int(value)) if value.is_integer() else f"{value:g}"


def final_answer(solution: str) -> str:
    """The answer after a GSM8K solution's ``####``, canonical where it is a number."""
    answer = solution.rsplit("####", 1)[-1].strip()
    return number(answer) or answer


def choice_set(question: str, gold: int) -> tuple[list[str], int]:
    """Ascending choices ``gold + (i - label) * step`` and the gold's position ``label``,
    drawn from a hash of the question: the position first (uniform), then a step that keeps
    every choice of a non-negative answer non-negative."""
    rng = random.Random(hashlib.blake2b(question.encode(), digest_size=8).digest())
    label = rng.randrange(CHOICES)
    magnitude = 10 ** (len(str(abs(gold))) - 1)
    steps = sorted({max(1, magnitude * tenths // 10) for tenths in STEPS})
    fitting = [step for step in steps if gold < 0 or gold - label * step >= 0]
    if not fitting:  # answers 0, 1, 2 cannot have that many choices below them
        label, fitting = min(label, gold), steps[:1]
    step = rng.choice(fitting)
    return [str(gold + (i - label) * step) for i in range(CHOICES)], label
