"""Config files as read by people and by Pulumi: strict YAML, and where every value came from.

A value loaded here is a ``Node``: the plain value plus its ``Origin`` (file and line), for
mappings and lists down to every leaf, so a value that fails validation after layering can be
traced to the file that set it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Union

import yaml


class SourceError(Exception):
    """A config file that cannot be read as Pulumi would read it (message names file and line)."""


@dataclass(frozen=True)
class Origin:
    file: str
    """A path relative to the project directory, or a description (an ESC environment)."""
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class Node:
    """A config value with its origin: ``value`` is a dict of str → Node, a list of Node, or a scalar."""

    __slots__ = ("value", "origin")

    def __init__(self, value: Any, origin: Origin):
        self.value = value
        self.origin = origin

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def __repr__(self) -> str:  # for test failure messages
        return f"Node({self.plain()!r} @ {self.origin})"


def from_plain(value: Any, origin: Origin) -> Node:
    """Every part of ``value`` attributed to one origin."""
    if isinstance(value, dict):
        return Node({str(k): from_plain(v, origin) for k, v in value.items()}, origin)
    if isinstance(value, list):
        return Node([from_plain(v, origin) for v in value], origin)
    return Node(value, origin)


def attribute(value: Any, known: Optional[Node], fallback: Origin) -> Node:
    """``value`` as a Node, taking origins from ``known`` (a file's nodes) wherever they agree."""
    if known is not None and known.plain() == value:
        return known
    origin = known.origin if known is not None else fallback
    if isinstance(value, dict):
        parts = known.value if known is not None and isinstance(known.value, dict) else {}
        return Node({str(k): attribute(v, parts.get(str(k)), fallback) for k, v in value.items()}, origin)
    if isinstance(value, list):
        items = known.value if known is not None and isinstance(known.value, list) else []
        return Node([attribute(v, items[i] if i < len(items) else None, fallback) for i, v in enumerate(value)], origin)
    return Node(value, origin)


_KEY_LINE = re.compile(r"\n[ \t]*(- )?[A-Za-z_][-A-Za-z0-9_.]*:(\s|$)")


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Loader):  # type: ignore[misc, valid-type]
    """YAML as Pulumi reads a stack file: a key given twice in one mapping is an error (libyaml's
    parser where PyYAML has it: the same nodes and marks, several times faster on a large fleet)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                first = seen[key].start_mark
                raise SourceError(f"{self.name}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: key {key!r} is given "
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
                raise SourceError(f"{name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: this {node.style}-quoted string runs on "
                                  f"to line {node.end_mark.line + 1} over lines that look like keys: is its closing {node.style} missing?")
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _unclosed_quotes(k, source, name)
            _unclosed_quotes(v, source, name)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _unclosed_quotes(v, source, name)


def _annotate(node: yaml.Node, value: Any, file: str) -> Node:
    origin = Origin(file, node.start_mark.line + 1)
    if isinstance(value, dict) and isinstance(node, yaml.MappingNode):
        by_key = {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        return Node({str(k): (_annotate(by_key[str(k)], v, file) if str(k) in by_key else from_plain(v, origin))
                     for k, v in value.items()}, origin)
    if isinstance(value, list) and isinstance(node, yaml.SequenceNode) and len(node.value) == len(value):
        return Node([_annotate(n, v, file) for n, v in zip(node.value, value)], origin)
    return from_plain(value, origin)


@functools.lru_cache(maxsize=64)
def load(source: str, name: str) -> Optional[Node]:
    """Parse a config file into Nodes; syntax errors, duplicate keys and unclosed quotes name line
    and column. ``name`` is how the file is named in messages and origins. The result is shared
    by every caller (a render reads a stack file several times): never change it in place."""
    loader = _StrictLoader(source)
    loader.name = name
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _unclosed_quotes(node, source, name)
        return _annotate(node, loader.construct_document(node), name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise SourceError(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(f"{name}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_yaml(source: str, name: str) -> Any:
    """Parse a config file into plain values (see ``load``)."""
    node = load(source, name)
    return node.plain() if node is not None else None



def fmt_path(parts: Iterable[Union[str, int]]) -> str:
    """A config path as messages show it: ``inference[2].alerts.X``, ``selector["app.kubernetes.io/name"]``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif any(c in p for c in "./ "):
            out += f'["{p}"]'
        else:
            out += ("." if out else "") + p
    return out


def join_key(path: str, key: str) -> str:
    """``path`` followed by the mapping key ``key``, written as ``fmt_path`` writes it."""
    part = fmt_path([key])
    return part if not path else path + (part if part.startswith("[") else "." + part)


_PATH_PART = re.compile(r'([^.\[\]"]+)|\["([^"]*)"\]|\[([^\]]+)\]')


def parse_path(path: str) -> list[tuple[str, Union[str, int]]]:
    """The parts of a path as ``fmt_path`` writes it, each as ("key", name), ("index", n) or
    ("item", name) for a list item named in brackets (``inference[chat]``)."""
    out: list[tuple[str, Union[str, int]]] = []
    for key, quoted, bracket in _PATH_PART.findall(path):
        if key or quoted:
            out.append(("key", key or quoted))
        else:
            out.append(("index", int(bracket)) if bracket.isdigit() else ("item", bracket))
    return out
