"""The versions infermon pins (``pins.yaml``): charts, the Prometheus Operator and its CRDs,
the images infermon sets, and what the proofs run (tools/*/go.mod must agree)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

FILE = Path(__file__).with_name("pins.yaml")


@functools.cache
def load(text: Optional[str] = None) -> dict[str, Any]:
    return yaml.safe_load(text if text is not None else FILE.read_text())


def kps() -> dict[str, Any]:
    """kube-prometheus-stack: ``chart``, ``repo``, ``operator``, ``images``, ``upgrade-notes``."""
    return load()["kube-prometheus-stack"]


def crd_urls(pins: Optional[dict[str, Any]] = None) -> list[str]:
    """The monitoring.coreos.com CRDs of the pinned operator release, one URL per CRD."""
    pins = pins or load()
    crds, operator = pins["crds"], pins["kube-prometheus-stack"]["operator"]
    return [crds["source"].format(operator=operator, plural=p) for p in crds["plurals"]]


def image(name: str) -> str:
    return load()["images"][name]


@dataclass(frozen=True)
class Move:
    what: str
    old: Any
    new: Any


def moves(old: dict[str, Any], new: dict[str, Any]) -> list[Move]:
    """What a change of pins.yaml moves, leaf by leaf (``kube-prometheus-stack.chart`` …)."""
    out: list[Move] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b), key=str):
                walk(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        elif a != b:
            out.append(Move(path, a, b))

    walk(old, new, "")
    return out


def _major(version: Any) -> Optional[int]:
    try:
        return int(str(version).lstrip("v").split(".")[0])
    except ValueError:
        return None


def upgrade_sections(old: Any, new: Any, notes: str) -> list[str]:
    """Links to the chart's UPGRADE.md section of every major version crossed (``From 88.x to
    89.x``), oldest first; the notes themselves when no major is crossed."""
    a, b = _major(old), _major(new)
    if a is None or b is None or b <= a:
        return [notes]
    return [f"{notes}#from-{m}x-to-{m + 1}x" for m in range(a, b)]
