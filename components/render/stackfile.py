"""Reading ``stacks/Pulumi.<stack>.yaml`` without the Pulumi CLI (offline render only)."""

from __future__ import annotations

import re
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


_KEY_LINE = re.compile(r"\n[ \t]*(- )?[A-Za-z_][-A-Za-z0-9_.]*:(\s|$)")


class _StrictLoader(yaml.SafeLoader):
    """YAML as Pulumi reads a stack file: a key given twice in one mapping is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                first = seen[key].start_mark
                raise StackFileError(f"{self.name}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: key {key!r} is given "
                                     f"twice in one mapping (first at line {first.line + 1}); YAML keeps only one of them")
            seen[key] = key_node
        return super().construct_mapping(node, deep)


def _unclosed_quotes(node: yaml.Node, source: str, name: str) -> None:
    """A quoted string that runs over lines holding ``key:`` entries lost its closing quote
    (YAML then reads the following entries as part of the string, silently)."""
    if isinstance(node, yaml.ScalarNode):
        if node.style in ('"', "'") and node.end_mark.line > node.start_mark.line:
            text = source[node.start_mark.index:node.end_mark.index]
            if _KEY_LINE.search(text):
                raise StackFileError(f"{name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: this {node.style}-quoted string runs on "
                                     f"to line {node.end_mark.line + 1} over lines that look like keys: is its closing {node.style} missing?")
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _unclosed_quotes(k, source, name)
            _unclosed_quotes(v, source, name)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _unclosed_quotes(v, source, name)


def load_yaml(source: str, name: str) -> Any:
    """Parse a stack file; syntax errors, duplicate keys and unclosed quotes name line and column."""
    loader = _StrictLoader(source)
    loader.name = name
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _unclosed_quotes(node, source, name)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise StackFileError(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{name}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


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
    doc = load_yaml(path.read_text(), str(path)) or {}
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
