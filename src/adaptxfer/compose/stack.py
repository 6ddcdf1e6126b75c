"""``stack``: a new target adapter above the frozen intermediate adapter(s), in task order."""

from __future__ import annotations

from adaptxfer.compose.composition import BuildRequest, Composition, Plan


class Stack(Composition):
    name = "stack"
    summary = "a new target adapter above the frozen intermediate adapter(s)"

    def build(self, request: BuildRequest) -> Plan:
        target = request.add_target()
        return Plan((*request.intermediates, *target), target)
