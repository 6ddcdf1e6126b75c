"""``sequential``: the intermediate adapter itself keeps training on the target task (the
paper's scheme); several intermediate tasks are trained in turn into that one adapter."""

from __future__ import annotations

from collections.abc import Sequence

from adaptxfer.compose.composition import BuildRequest, Composition, Plan
from adaptxfer.errors import UnsupportedError


class Sequential(Composition):
    name = "sequential"
    summary = "the intermediate adapter itself, continued (the paper's scheme)"

    def chains(self, tasks: Sequence[str]) -> list[tuple[str, ...]]:
        return [tuple(tasks)] if tasks else []

    def build(self, request: BuildRequest) -> Plan:
        adapters = request.intermediates
        if len(adapters) != 1:
            raise UnsupportedError(
                f"composition 'sequential' continues one adapter; got {len(adapters)} "
                "(the intermediate chain is trained into a single adapter first)"
            )
        return Plan(adapters, adapters if request.with_target else ())
