"""The Pulumi program: validate the whole config, then declare the stack.

``pulumi up`` runs it through ``__main__.py``; ``infermon render`` runs the same function
under the SDK's mock engine.
"""

from __future__ import annotations

import pulumi

from .config import ConfigError, LoadedConfig, from_pulumi
from .stack import ObservabilityStack, ObservabilityStackArgs


def build(loaded: LoadedConfig) -> dict[str, object]:
    """Declare every resource of the stack; returns the stack outputs."""
    if loaded.config.cluster.platform == "docker":
        from .docker.stack import DockerObservability, DockerObservabilityArgs

        return DockerObservability(loaded.stack, DockerObservabilityArgs(loaded)).outputs()
    stack = ObservabilityStack(loaded.stack, ObservabilityStackArgs(loaded))
    return stack.outputs()


def main() -> None:
    try:
        loaded = from_pulumi()
    except ConfigError as exc:
        # raised before any resource is registered: nothing partial reaches the engine
        raise pulumi.RunError(str(exc)) from None
    for key, value in build(loaded).items():
        pulumi.export(key, value)
