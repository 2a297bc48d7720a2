"""The binaries that prove the render are the ones the pinned chart deploys."""

from __future__ import annotations

import copy
import shutil

import pytest

from components import naming, tools
from components.docker.containers import DEFAULTS as DOCKER


def test_chart_pin_tool_modules_and_docker_images_agree():
    assert tools.pin_mismatches(naming.CHART, naming.CHART_VERSION, tools.chart_images(), DOCKER["images"]) == []


def test_a_chart_bump_without_the_tools_is_caught():
    assert tools.pin_mismatches(naming.CHART, "89.0.0", tools.chart_images(), DOCKER["images"])
    moved = copy.deepcopy(tools.chart_images())
    moved["images"]["prometheus"] = "quay.io/prometheus/prometheus:v3.15.0-distroless"
    problems = tools.pin_mismatches(naming.CHART, naming.CHART_VERSION, moved, DOCKER["images"])
    assert any("promtool is pinned at 3.14.0" in p for p in problems), problems
    assert any("docker platform runs" in p for p in problems), problems
    moved = copy.deepcopy(tools.chart_images())
    moved["images"]["alertmanager"] = "quay.io/prometheus/alertmanager:v0.35.0"
    assert any("amtool is pinned at 0.34.0" in p for p in tools.pin_mismatches(naming.CHART, naming.CHART_VERSION, moved, DOCKER["images"]))


def test_prometheus_3_module_versions_map_to_releases():
    assert tools.release_of_module("v0.314.0") == "3.14.0"
    assert tools.release_of_module("v0.305.1") == "3.5.1"
    assert tools.release_of_module("v0.34.0") == "0.34.0"


@pytest.mark.skipif(shutil.which("go") is None, reason="no Go toolchain: the checks run on the tools on PATH")
@pytest.mark.parametrize("name", ["prometheus", "promtool", "alertmanager", "amtool"])
def test_checks_run_on_the_pinned_build(name):
    found = tools.find(name)
    assert found.exact, f"{found.describe()} at {found.path}: run `make setup-tools`"
    assert found.path.startswith(str(tools.TOOLS_BIN)), found.path
