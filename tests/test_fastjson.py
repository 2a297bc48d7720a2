"""``components.fastjson.dumps`` writes exactly the bytes of ``json.dumps(indent=2, sort_keys=True)``."""

from __future__ import annotations

import enum
import json
import math
import random

import pytest

from components import fastjson
from components.render import render


def same(data, default=None):
    assert fastjson.dumps(data, default=default) == json.dumps(data, indent=2, sort_keys=True, default=default)


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_every_document_of_a_stack(stack, monkeypatch):
    """Every value a render encodes (manifest, outputs, dashboards with the SDK's encoder, monitors),
    encoded both ways."""
    seen = []
    real = fastjson.dumps

    def record(data, default=None):
        seen.append((data, default))
        return real(data, default)

    monkeypatch.setattr(fastjson, "dumps", record)
    render.build(stack)
    monkeypatch.undo()
    assert len(seen) >= 3
    for data, default in seen:
        same(data, default)


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Panel:
    def __init__(self, title):
        self.title = title

    def to_json(self):
        return {"title": self.title, "gridPos": (1, 2)}


@pytest.mark.parametrize("data", [
    {}, [], "", 0, -1, 1.5, 1e-05, 1e22, True, False, None, math.nan, math.inf, -math.inf,
    {"b": [], "a": {}, "c": [{}], "d": [[]]},
    {"é": "ü ✓ \u2028 \x00 \" \\ \n\t", "emoji": "🚀"},
    {1: "int key", 2.5: "float key", -3: "negative"}, {True: "bool key", False: "false key"}, {None: "none key"},
    {"tuple": (1, (2, 3)), "nested": [[1, [2, [3]]], {"z": {"y": {"x": None}}}]},
    {"enum": Color.RED, "level": Level.HIGH, Color.RED: "enum key"},
    [0.1 + 0.2, 123456789012345678901234567890, -0.0, float(2**53)],
])
def test_values_and_keys_of_every_type(data):
    same(data)


def test_objects_through_default():
    default = lambda o: o.to_json()  # noqa: E731 (the shape of the Grafana SDK's encoder)
    same({"panels": [Panel("a"), Panel("b")], "empty": Panel("")}, default)


def test_what_json_refuses_fastjson_refuses():
    with pytest.raises(TypeError):
        fastjson.dumps({"x": object()})
    with pytest.raises(TypeError):
        fastjson.dumps({(1, 2): "tuple key"})


def test_random_documents():
    rng = random.Random(7)

    def value(depth):
        pick = rng.randrange(8 if depth < 4 else 5)
        if pick == 0:
            return rng.choice(["", "a", "ünï", "line\nbreak", "q\"uote"])
        if pick == 1:
            return rng.randint(-10**12, 10**12)
        if pick == 2:
            return rng.uniform(-1e6, 1e6)
        if pick == 3:
            return rng.choice([True, False, None])
        if pick == 4:
            return rng.random() / 10**rng.randrange(12)
        if pick == 5:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        if pick == 6:
            return tuple(value(depth + 1) for _ in range(rng.randrange(3)))
        return {rng.choice("abcdefgh") + str(rng.randrange(5)): value(depth + 1) for _ in range(rng.randrange(5))}

    for _ in range(300):
        same(value(0))
