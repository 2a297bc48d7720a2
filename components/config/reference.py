"""The config reference (docs/config-reference.md), generated from the typed model."""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import model as m


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType")):
        parts = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(parts)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map of {_type_name(args[0])} to {_type_name(args[1])}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return getattr(tp, "__name__", str(tp))


def _default(f: Any) -> str:
    if f.is_required():
        return "**required**"
    if f.default_factory is not None:
        value = f.default_factory()
        if isinstance(value, BaseModel):
            return "see below"
        return f"`{json.dumps(value)}`"
    if f.default is None or f.default is PydanticUndefined:
        return "unset"
    return f"`{json.dumps(f.default)}`" if not isinstance(f.default, str) else f"`{f.default}`"


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(cls: type[BaseModel]) -> None:
        if cls in seen:
            return
        seen.append(cls)
        for f in cls.model_fields.values():
            for sub in _nested(f.annotation):
                visit(sub)

    visit(m.InfermonConfig)
    return seen


def _nested(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [c for a in typing.get_args(tp) for c in _nested(a)]


def reference_markdown() -> str:
    lines = [
        "# infermon configuration reference",
        "",
        "Generated from `components/config/model.py` by `infermon docs`; do not edit by hand.",
        "",
        "Every key below lives in the `infermon:` namespace of `stacks/Pulumi.<env>.yaml`.",
        "Unknown keys are errors. Fields ending in `Secret` name another top-level key that must be",
        "set with `pulumi config set --secret <name> <value>`.",
        "",
    ]
    for cls in _models():
        title = "Top-level keys (`infermon:<key>`)" if cls is m.InfermonConfig else cls.__name__
        lines += [f"## {cls.__name__}" if cls is not m.InfermonConfig else "## InfermonConfig", ""]
        if cls is m.InfermonConfig:
            lines += [title, ""]
        doc = (cls.__doc__ or "").strip()
        if doc and cls is not m.InfermonConfig:
            lines += [doc, ""]
        lines += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
        for name, f in cls.model_fields.items():
            desc = " ".join((f.description or "").split()).replace("|", "\\|")
            lines.append(f"| `{f.alias or name}` | {_type_name(f.annotation)} | {_default(f)} | {desc} |")
        lines.append("")
    return "\n".join(lines + _layering())


def _layering() -> list[str]:
    from .layers import EXTENDS, REMOVE

    return [
        "## Shared files and layering",
        "",
        "What the program sees, lowest layer first (`infermon config --stack <env>` prints each value with its origin):",
        "",
        "1. the shared files the stack extends, in the order listed (each over the files it extends itself);",
        "2. what Pulumi hands the program: the project's `config:` in `Pulumi.yaml` (a `value` or `default`, used only for a key the "
        "stack does not set, and replaced whole by it), under the stack's ESC `environment:` (merged as a JSON merge patch), under the "
        "stack file.",
        "",
        "| key | where | type | description |",
        "| --- | --- | --- | --- |",
        f"| `infermon:{EXTENDS}` | stack file, shared file, or `Pulumi.yaml` | path or list of paths | Shared files this layer builds on, "
        "relative to the stacks directory (e.g. `[shared/fleet.yaml]`). A shared file has the stack file's form (`config:` with "
        "`infermon:` keys), holds no secrets and no other namespace's keys. |",
        f"| `{REMOVE}` | an item of a named list | `true` | `{{name: x, {REMOVE}: true}}` removes the inherited item `x`; removing an item "
        "nothing beneath defines is an error. |",
        "",
        "Merge rules: mappings merge key by key at every depth, and `key: null` removes an inherited key; lists whose items all have a "
        "`name` (`inference`, `endpoints`, `gpuPools`, `alertmanager.receivers`, `prometheus.remoteWrite`, `docker.hosts`) merge item "
        "by item on `name`, new names appended in order; every other list (`alertmanager.routes`, `tolerations`, `staticTargets`, "
        "`datadog.notify` …) and every scalar replaces the inherited value whole.",
        "",
    ]
