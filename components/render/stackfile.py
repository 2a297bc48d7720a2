"""Reading ``stacks/Pulumi.<stack>.yaml`` without the Pulumi CLI (offline render only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from ..config.load import NAMESPACE


class StackFileError(Exception):
    pass


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


def placeholder(key: str) -> str:
    """Stand-in value for a ``secure:`` key: the ciphertext cannot be decrypted offline."""
    return f"offline-placeholder-for-{key}"


def stacks_dir(root: Optional[Path] = None) -> Path:
    return (root or Path(__file__).resolve().parents[2]) / "stacks"


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


def read(stack: str, root: Optional[Path] = None, secret_values: Optional[dict[str, str]] = None) -> StackFile:
    path = stacks_dir(root) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(available_stacks(root)) or "none"
        raise StackFileError(f"no stack file {path} (stacks available: {known})")
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise StackFileError(f"{path}: expected a mapping with a 'config:' key")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: 'config' must be a mapping")
    ours: dict[str, Any] = {}
    other: dict[str, Any] = {}
    secret_keys: list[str] = []
    for full_key, value in config.items():
        ns, _, key = str(full_key).partition(":")
        if not key:
            ns, key = NAMESPACE, ns  # Pulumi treats a bare key as the project's namespace
        if ns != NAMESPACE:
            other[full_key] = value
            continue
        if _has_secure(value):
            secret_keys.append(key)
            if secret_values and key in secret_values:
                value = secret_values[key]
            else:
                value = _replace_secure(value, key)
        ours[key] = value
    return StackFile(stack, path, ours, sorted(secret_keys), other)
