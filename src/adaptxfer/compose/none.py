"""``none``: a new target adapter alone - the no-intermediate baseline arm of every run."""

from __future__ import annotations

from collections.abc import Sequence

from adaptxfer.compose.composition import BuildRequest, Composition, Plan


class Baseline(Composition):
    name = "none"
    summary = "a new target adapter alone (the baseline arm of every run)"

    def chains(self, tasks: Sequence[str]) -> list[tuple[str, ...]]:
        return []  # uses no intermediate adapter

    def build(self, request: BuildRequest) -> Plan:
        target = request.add_target()
        return Plan(target, target)
