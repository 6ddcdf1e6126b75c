"""``fuse``: a target adapter plus learned fusion weights over the frozen intermediates -
AdapterFusion for bottleneck adapters, a per-layer softmax mixture of LoRA deltas for LoRA
(:mod:`adaptxfer.methods.lora_mixture`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from adaptxfer.compose.composition import TARGET, BuildRequest, Composition, Plan, Saved
from adaptxfer.methods.backend import FUSION, Fusing, require
from adaptxfer.strict_model import StrictModel

if TYPE_CHECKING:
    import torch

    from adaptxfer.compose.assemble import Assembly
    from adaptxfer.methods.backend import AdapterBackend


class FuseSettings(StrictModel):
    """AdapterFusion (bottleneck) or a learned per-layer mixture of LoRA deltas; the
    softmax temperature is held fixed (not annealed) so training and reload agree."""

    temperature: float = Field(1.0, gt=0)


class Fuse(Composition):
    name = "fuse"
    summary = (
        "target adapter + fusion weights over the frozen intermediates: AdapterFusion for "
        "bottlenecks, a learned per-layer softmax mixture of LoRA deltas for LoRA"
    )
    settings_model = FuseSettings
    requires = ("fuse",)
    needs_trained_target = True

    def own_problem(self, n_adapters: int) -> str | None:
        if n_adapters < 1:
            return "composition 'fuse' needs at least one intermediate task"
        return None

    def build(self, request: BuildRequest) -> Plan:
        request.add_target()
        sources = request.intermediates
        fusing = require(request.assembly.backend, Fusing)
        fusing.fuse(sources, TARGET, self.settings.temperature, seed=request.seed)
        return Plan((*sources, TARGET), (TARGET, FUSION))

    def activate(self, backend: AdapterBackend, plan: Plan) -> None:
        """Nothing to do: :meth:`Fusing.fuse` put the fusion into the forward pass."""

    def describe(self, assembly: Assembly) -> dict[str, Any]:
        return {"fused": list(assembly.active[:-1]), "temperature": self.settings.temperature}

    def state(self, backend: AdapterBackend) -> dict[str, torch.Tensor]:
        return require(backend, Fusing).fusion_state()

    def restore(self, assembly: Assembly, saved: Saved) -> Plan:
        active = tuple(saved.description["active"])
        self.settings = FuseSettings(temperature=float(saved.description["temperature"]))
        fusing = require(assembly.backend, Fusing)
        sources = list(saved.description["fused"])
        # any seed: the saved weights replace the initial ones
        fusing.fuse(sources, active[-1], self.settings.temperature, seed=0)
        fusing.load_fusion_state(dict(saved.state))
        return Plan(active, ())
