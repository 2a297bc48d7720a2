"""``components.fastyaml.dump`` writes exactly the bytes of ``yaml.safe_dump`` (block style)."""

from __future__ import annotations

import random

import pytest
import yaml

from components import fastyaml
from components.render import render

SETTINGS = [(True, 120), (False, 120), (False, None), (True, None), (True, 30)]


def reference(data, sort_keys, width):
    return yaml.safe_dump(data, sort_keys=sort_keys, default_flow_style=False, width=width)


def same(data, sort_keys=True, width=120):
    assert fastyaml.dump(data, sort_keys=sort_keys, width=width) == reference(data, sort_keys, width)


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_every_document_of_a_stack(stack, monkeypatch):
    """Every YAML document a render dumps, with every setting, dumped both ways."""
    seen = []
    real = yaml.safe_dump

    def record(data, stream=None, **kw):
        if stream is None:
            seen.append(data)
        return real(data, stream, **kw)

    monkeypatch.setattr(yaml, "safe_dump", record)
    monkeypatch.setattr(fastyaml, "dump", lambda data, **kw: record(data, default_flow_style=False, **kw))
    render.build(stack)
    monkeypatch.undo()
    assert len(seen) > 20
    for data in seen:
        for sort_keys, width in SETTINGS:
            same(data, sort_keys, width)


ATOMS = [" ", "  ", "\n", "\n\n", ":", ": ", " #", "#", "-", "- ", "?", "'", '"', "\\", "\t", "\r", "\x00", "\x7f", "é",
         "\u2028", "\x85", "\ufeff", "\U0001f600", "{", "}", "[", "]", ",", "&", "*", "!", "|", ">", "%", "@", "`", "---",
         "...", "a", "b", "word", "value", "x" * 40, "y" * 130, "0", "12", "1.5", "1e3", "0x1f", "true", "no", "null", "~",
         "2026-11-30", "=", "<<", "+", ".inf", ".nan", "1_000", "0o17"]


def rand_str(rng: random.Random) -> str:
    return "".join(rng.choice(ATOMS) for _ in range(rng.choice([0, 1, 1, 2, 3, 5, 8, 20, 60])))


def rand_scalar(rng: random.Random):
    return rng.choice([rand_str, rand_str, rand_str, lambda r: r.randint(-10**6, 10**6), lambda r: r.random() * 10**r.randint(-5, 20),
                       lambda r: r.choice([True, False, None, 0.0, -1.5, float("inf"), 1e300])])(rng)


def rand_data(rng: random.Random, depth: int = 0):
    kind = rng.random()
    if depth > 4 or kind < 0.4:
        return rand_scalar(rng)
    if kind < 0.7:
        return [rand_data(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 4]))]
    return {rand_str(rng) if rng.random() < 0.98 else rng.randint(0, 9): rand_data(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 5]))}


@pytest.mark.parametrize("seed", range(8))
def test_generated_data(seed):
    """Awkward strings (indicators, breaks, escapes, non-ASCII, long runs, implicit types),
    nesting, empty collections, long and non-string keys, at several widths."""
    rng = random.Random(seed)
    for _ in range(300):
        data = {"root": rand_data(rng)} if rng.random() < 0.7 else [rand_data(rng) for _ in range(3)]
        for sort_keys, width in SETTINGS:
            try:
                expected = reference(data, sort_keys, width)
            except TypeError:  # unsortable keys: PyYAML keeps the order, as dump does
                continue
            assert fastyaml.dump(data, sort_keys=sort_keys, width=width) == expected, repr(data)


def test_long_double_quoted_strings_fold_as_pyyaml_does():
    text = "".join(random.Random(1).choice(['{\n  "a": "b c"', " ", "  ", '\\"', "\n", "x" * 7, "é", "\t"]) for _ in range(3000))
    for width in (None, 20, 120, 400):
        same({"data": {"dashboard.json": text}, "list": [text, {"k": text}]}, True, width)


def test_shared_objects_fall_back_to_anchors():
    shared = {"a": 1}
    data = {"x": shared, "y": [shared]}
    assert "&id001" in fastyaml.dump(data)
    same(data)


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_load_reads_every_rendered_yaml_file_as_safe_load_does(stack):
    files = render.build(stack).files
    yamls = {rel: text for rel, text in files.items() if rel.endswith((".yaml", ".yml"))}
    assert len(yamls) > 10
    for rel, text in yamls.items():
        assert fastyaml.load(text) == yaml.safe_load(text), rel
