"""What the Pulumi CLI hands the program, worked out offline (offline render only).

Before the program runs, ``pulumi preview/up`` merges three sources into the stack's config
(pulumi/pulumi ``sdk/go/common/workspace/config.go``, ``mergeConfig``; ``project.go``,
``RewriteShorthandConfigValues`` and ``Project.Validate``):

1. the stack's ESC ``environment:`` (its ``pulumiConfig``), under the stack file: a key set in
   both is the stack's value merged onto the environment's as a JSON merge patch (RFC 7386);
2. the stack file's ``config:``;
3. the project's ``config:`` in ``Pulumi.yaml``, only for keys still unset: its ``value`` or
   ``default`` replaces nothing and is replaced whole by a stack value (no deep merge). A bare
   value is shorthand: the ``default`` of a project-namespaced key (``infermon:x`` or ``x``), the
   ``value`` of another namespace's key; a project-namespaced key with neither is required.

``read`` does the same from the files; ESC environments cannot be opened offline, so their
values come from ``esc env open`` output given with ``--esc-file``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..config import layers
from ..config.layers import split_key
from ..config.load import NAMESPACE
from ..config.model import InfermonConfig
from ..config.sources import SourceError, load_yaml


StackFileError = SourceError
ESC_FILES = "INFERMON_ESC_FILES"
"""Set by the CLI from ``--esc-file``: JSON {stack: [files]}, read by every render process."""


@dataclass(frozen=True)
class StackFile:
    stack: str
    path: Path
    config: dict[str, Any]
    """Keys of the ``infermon:`` namespace (without prefix) -> value; secure values replaced."""
    secret_keys: list[str]
    """Keys whose value was ``secure:`` in the file."""
    other: dict[str, Any]
    """Config of other namespaces (``kubernetes:context`` …), passed through untouched."""
    sources: list[str] = field(default_factory=list)
    """Where the values came from besides the stack file (Pulumi.yaml, ESC files)."""


def placeholder(key: str) -> str:
    """Stand-in value for a ``secure:`` key: the ciphertext cannot be decrypted offline."""
    return f"offline-placeholder-for-{key}"


def project_dir(root: Optional[Path] = None) -> Path:
    """The project rendered: ``root``, or this checkout."""
    return root or Path(__file__).resolve().parents[2]


def stacks_dir(root: Optional[Path] = None) -> Path:
    return layers.stacks_dir(project_dir(root))


def available_stacks(root: Optional[Path] = None) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in stacks_dir(root).glob("Pulumi.*.yaml"))


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return "secure" in value and len(value) == 1 or any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _replace_secure(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return placeholder(key)
        return {k: _replace_secure(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, key) for v in value]
    return value


def _project_config(root: Path) -> dict[str, dict[str, Any]]:
    """``Pulumi.yaml``'s ``config:`` as typed entries (shorthand rewritten), validated as Pulumi does."""
    path = root / "Pulumi.yaml"
    if not path.is_file():
        return {}
    doc = load_yaml(path.read_text(), "Pulumi.yaml") or {}
    config = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(config, dict):  # absent, or the legacy `config: <stack dir>`
        return {}
    project = str(doc.get("name") or NAMESPACE)
    entries: dict[str, dict[str, Any]] = {}
    for key, value in config.items():
        key = str(key)
        ours = ":" not in key or key.startswith(project + ":")
        if isinstance(value, (str, bool, int, list)) and not isinstance(value, float):
            entries[key] = {"default": value} if ours else {"value": value}
            continue
        if not isinstance(value, dict):
            raise StackFileError(f"Pulumi.yaml: config '{key}': {json.dumps(value)} is not a string, integer, boolean or list; give "
                                 "other values as `value:` (or `default:`) under the key")
        unknown = sorted(set(value) - {"type", "description", "items", "default", "value", "secret"})
        if unknown:
            raise StackFileError(f"Pulumi.yaml: config '{key}': unknown attribute '{unknown[0]}' (allowed: default, description, items, "
                                 "secret, type, value); an object value goes under `value:`")
        if "default" in value and "value" in value:
            raise StackFileError(f"Pulumi.yaml: project config '{key}' cannot have both a 'default' and 'value' attribute")
        if not ours and ("type" in value or "default" in value or "value" not in value):
            raise StackFileError(f"Pulumi.yaml: configuration key '{key}' is not namespaced by the project: it takes only a 'value'")
        entries[key] = value
    return entries


def _typed_ok(kind: str, items: Any, value: Any) -> bool:
    """Pulumi's ValidateConfigValue for an explicitly typed project key."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer()) \
            or (isinstance(value, str) and value.lstrip("-").isdigit())
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if kind == "array" and isinstance(items, dict) and isinstance(value, list):
        return all(_typed_ok(str(items.get("type")), items.get("items"), v) for v in value)
    return False


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: ``patch`` applied to ``target`` (how Pulumi merges a stack value over its ESC environment's)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _esc_config(esc_files: list[Path]) -> dict[str, Any]:
    """``pulumiConfig`` of ``esc env open`` output, several files merged in order (later wins, as ESC merges imports)."""
    merged: dict[str, Any] = {}
    for path in esc_files:
        try:
            doc = json.loads(Path(path).read_text())
        except OSError as exc:
            raise StackFileError(f"--esc-file {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise StackFileError(f"--esc-file {path}: not JSON ({exc}); write it with `esc env open <org>/<project>/<env> --format json`") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("pulumiConfig", {}), dict):
            raise StackFileError(f"--esc-file {path}: expected the JSON object `esc env open` prints, with a pulumiConfig mapping")
        for key, value in (doc.get("pulumiConfig") or {}).items():
            merged[key] = merge_patch(merged.get(key), value) if isinstance(value, dict) else value
    return merged


def _environments(env: Any) -> list[str]:
    if isinstance(env, list):
        return [str(e) for e in env]
    if isinstance(env, dict):
        return [str(e) if not isinstance(e, dict) else str(next(iter(e), "")) for e in env.get("imports") or []] or ["(inline definition)"]
    return [str(env)]


def read(stack: str, root: Optional[Path] = None, secret_values: Optional[dict[str, str]] = None,
         esc_files: Optional[list[Path]] = None) -> StackFile:
    """The ``infermon:`` config Pulumi would hand the program for ``stack``."""
    root = project_dir(root)
    path = stacks_dir(root) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(available_stacks(root)) or "none"
        raise StackFileError(f"no stack file {path} (stacks available: {known})")
    name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    doc = load_yaml(path.read_text(), name) or {}
    if not isinstance(doc, dict):
        raise StackFileError(f"{name}: expected a mapping with a 'config:' key")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{name}: 'config' must be a mapping")
    if esc_files is None and os.environ.get(ESC_FILES):
        esc_files = [Path(f) for f in json.loads(os.environ[ESC_FILES]).get(stack, [])]
    sources: list[str] = []
    secure_keys = {split_key(k)[1] for k, v in config.items() if split_key(k)[0] == NAMESPACE and _has_secure(v)}
    values: dict[tuple[str, str], Any] = {split_key(k): v for k, v in config.items()}

    if doc.get("environment"):
        envs = _environments(doc["environment"])
        if not esc_files:
            raise StackFileError(
                f"{name} imports the Pulumi ESC environment{'s' if len(envs) > 1 else ''} {', '.join(envs)}, whose values `pulumi up` "
                f"merges beneath the stack's and which cannot be opened offline: run `esc env open <org>/<project>/<env> --format json "
                f"> {stack}-env.json` for each (in import order) and pass --esc-file {stack}-env.json (repeat for several)")
        model_keys = set(InfermonConfig.model_fields) | {f.alias for f in InfermonConfig.model_fields.values() if f.alias}
        for full_key, env_value in _esc_config(list(esc_files)).items():
            key = split_key(full_key)
            if key[0] == NAMESPACE and key[1] not in model_keys and key[1] != "extends":
                # `esc env open` prints secrets decrypted: a key that is not a setting is a secret's name
                secure_keys.add(key[1])
            values[key] = merge_patch(env_value, values[key]) if key in values else env_value
        sources += [f"ESC ({p})" for p in esc_files]
    elif esc_files:
        raise StackFileError(f"--esc-file given, but {name} has no `environment:`; `pulumi up` would not read it")

    project = _project_config(root)
    missing = []
    for full_key in sorted(project):
        entry = project[full_key]
        key = split_key(full_key)
        if key not in values:
            if "default" in entry or "value" in entry:
                values[key] = entry.get("default", entry.get("value"))
                if "Pulumi.yaml" not in sources:
                    sources.append("Pulumi.yaml")
            elif key[0] == NAMESPACE:
                missing.append(full_key)
            continue
        if entry.get("secret") and key[1] not in secure_keys:
            raise StackFileError(f"Stack '{stack}' with configuration key '{full_key}' must be encrypted as it's secret (Pulumi.yaml)")
        if "type" in entry and key[1] not in secure_keys and not _typed_ok(str(entry["type"]), entry.get("items"), values[key]):
            raise StackFileError(f"Stack '{stack}' with configuration key '{full_key}' must be of type '{entry['type']}' (Pulumi.yaml)")
    if missing:
        raise StackFileError(f"Stack '{stack}' is missing configuration value{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(k) for k in missing)} (required by Pulumi.yaml)")

    ours: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for (ns, key), value in values.items():
        if ns != NAMESPACE:
            other[f"{ns}:{key}"] = value
            continue
        if key in secure_keys:
            if secret_values and key in secret_values:
                value = secret_values[key]
            else:
                value = _replace_secure(value, key) if _has_secure(value) else placeholder(key)
        ours[key] = value
    return StackFile(stack, path, ours, sorted(secure_keys), other, sources)
