"""The Prometheus and Alertmanager binaries that prove what infermon renders.

``scripts/ensure-prom-tools.sh`` (run by ``make preview`` and ``make test``) builds
prometheus, promtool, alertmanager and amtool at exactly the versions the pinned chart deploys
into ``.tools/bin``. Where that was not possible, the same names on PATH are used, and every
check says which version it ran on.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS_BIN = ROOT / ".tools" / "bin"
MODULES = {"prometheus": ("prometheus", "github.com/prometheus/prometheus"),
           "promtool": ("prometheus", "github.com/prometheus/prometheus"),
           "alertmanager": ("alertmanager", "github.com/prometheus/alertmanager"),
           "amtool": ("alertmanager", "github.com/prometheus/alertmanager"),
           "thanos": ("thanos", "github.com/thanos-io/thanos")}
ALSO_IN = {"thanos": ROOT / ".tools" / "thanos"}
"""Tools linked outside ``.tools/bin`` (``scripts/ensure-thanos.sh`` keeps its own cache)."""


def release_of_module(module_version: str) -> str:
    """Prometheus 3 tags its Go module v0.3MM.P for release 3.MM.P; Alertmanager's tags are its releases."""
    m = re.fullmatch(r"v0\.([1-9])(\d\d)\.(\d+)", module_version)
    if m:
        return f"{m[1]}.{int(m[2])}.{m[3]}"
    return module_version.removeprefix("v")


@functools.cache
def pinned(name: str) -> str | None:
    """The release of ``name`` that tools/<module>/go.mod pins, e.g. ``3.14.0`` (None outside a checkout)."""
    directory, module = MODULES[name]
    go_mod = ROOT / "tools" / directory / "go.mod"
    for line in go_mod.read_text().splitlines() if go_mod.is_file() else []:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == module:
            return release_of_module(parts[1])
    return None


@dataclass(frozen=True)
class Tool:
    name: str
    path: str | None
    version: str | None
    pinned: str | None

    @property
    def exact(self) -> bool:
        return self.version == self.pinned

    def describe(self) -> str:
        """``promtool 3.14.0``, or what differs from the pin."""
        if self.path is None:
            return f"{self.name} not found (run `make setup-tools`)"
        if self.exact or self.pinned is None:
            return f"{self.name} {self.version}"
        return f"{self.name} {self.version or '(unknown version)'}, not the {self.pinned} the chart deploys"


def _version_of(path: str) -> str | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    m = re.search(r"version (\S+)", out.stdout + out.stderr)
    return m[1] if m else None


@functools.cache
def find(name: str) -> Tool:
    """``name`` from ``INFERMON_TOOLS_BIN`` (set for renders in other work trees), ``.tools/bin``
    or PATH, in that order."""
    candidates = [Path(os.environ["INFERMON_TOOLS_BIN"]) / name] if os.environ.get("INFERMON_TOOLS_BIN") else []
    candidates.append(TOOLS_BIN / name)
    if name in ALSO_IN:
        candidates.append(ALSO_IN[name] / name)
    path = next((str(c) for c in candidates if c.is_file() and os.access(c, os.X_OK)), None) or shutil.which(name)
    return Tool(name, path, _version_of(path) if path else None, pinned(name))


def environment() -> dict[str, str]:
    """This process's environment, pointing renders in other work trees at the same tools."""
    env = dict(os.environ)
    if TOOLS_BIN.is_dir() and "INFERMON_TOOLS_BIN" not in env:
        env["INFERMON_TOOLS_BIN"] = str(TOOLS_BIN.resolve())
    return env


def _tag_release(image: str) -> str:
    """``quay.io/prometheus/prometheus:v3.14.0-distroless`` -> ``3.14.0``."""
    return image.rsplit(":", 1)[1].removeprefix("v").split("-", 1)[0]


def pin_mismatches(chart: str, chart_version: str, chart_images: dict, docker_images: dict[str, str]) -> list[str]:
    """Where the chart pin, the chart's image tags (``components/pins.yaml``), the tool
    modules and the docker platform's images disagree; empty when they all agree."""
    problems = []
    if (chart_images.get("chart"), str(chart_images.get("version"))) != (chart, chart_version):
        problems.append(f"the chart pin is {chart} {chart_version} but components/pins.yaml has the image tags of "
                        f"{chart_images.get('chart')} {chart_images.get('version')}: copy the new chart's image tags "
                        "there and move tools/*/go.mod to them")
    for image, binaries in {"prometheus": ("prometheus", "promtool"), "alertmanager": ("alertmanager", "amtool"), "thanos": ("thanos",)}.items():
        deployed = _tag_release(chart_images["images"][image])
        problems += [f"{b} is pinned at {pinned(b)} (tools/{MODULES[b][0]}/go.mod) but the chart deploys {image} {deployed}"
                     for b in binaries if pinned(b) != deployed]
        if image in docker_images and _tag_release(docker_images[image]) != deployed:
            problems.append(f"the docker platform runs {docker_images[image]} but the chart deploys {image} {deployed}")
    return problems


def chart_images() -> dict:
    """The pinned chart and the image tags it deploys (``components/pins.yaml``)."""
    from . import pins

    k = pins.kps()
    return {"chart": "kube-prometheus-stack", "version": k["chart"], "images": k["images"]}
