"""Shared fleet definitions: the layering the program itself applies, with provenance.

Pulumi hands the program one stack's config (the stack file, over its ESC environment, over
the project's ``config:`` in ``Pulumi.yaml``; ``render.stackfile`` reproduces that offline).
A stack may then build on shared files kept in the repository::

    config:
      infermon:extends: [shared/fleet.yaml]      # paths relative to the stacks directory

The program merges them beneath the stack's own values, so ``pulumi up`` and ``infermon
render`` see the same result:

- mappings merge key by key, at every depth; ``key: null`` removes an inherited key;
- lists whose items all have a ``name`` (inference, endpoints, gpuPools, receivers,
  remoteWrite, docker hosts) merge item by item on ``name``: an item naming an inherited one
  merges into it, a new name is appended, ``{name: x, $remove: true}`` removes ``x``;
- any other list (routes, tolerations, notify, staticTargets …) and any scalar replaces the
  inherited one whole;
- a shared file may itself extend others (merged beneath it); it never holds secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from .sources import Node, Origin, SourceError, attribute, fmt_path, join_key, load

NAMESPACE = "infermon"
EXTENDS = "extends"
REMOVE = "$remove"
STACK_FALLBACK = "config set outside the stack file (Pulumi ESC environment or `pulumi config` of the service backend)"


class LayerError(Exception):
    """A problem with the layering itself: (config path, message, origin) triples."""

    def __init__(self, problems: list[tuple[str, str, Optional[Origin]]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m, _ in problems))


# --- the project's files ------------------------------------------------------------------


def stacks_dir(project: Path) -> Path:
    """The project's ``stackConfigDir`` (Pulumi's default, the project directory, when
    ``Pulumi.yaml`` does not set it; ``stacks/`` for a bare directory of stack files)."""
    if not (project / "Pulumi.yaml").is_file():
        return project / "stacks"
    doc = _project_doc(project)
    rel = doc.get("stackConfigDir") if isinstance(doc, dict) else None
    return project / rel if isinstance(rel, str) and rel else project


def _project_doc(project: Path) -> Any:
    path = project / "Pulumi.yaml"
    if not path.is_file():
        return {}
    node = load(path.read_text(), "Pulumi.yaml")
    return node.plain() if node is not None else {}


def _rel(project: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project.resolve()))
    except ValueError:
        return str(path)


def split_key(full_key: str) -> tuple[str, str]:
    """(namespace, key) of a config key; a bare key is in the project's namespace."""
    ns, _, key = str(full_key).partition(":")
    return (ns, key) if key else (NAMESPACE, ns)


def _config_nodes(node: Optional[Node]) -> dict[str, Node]:
    """The ``infermon:`` keys of a file's ``config:`` block, without prefix."""
    if node is None or not isinstance(node.value, dict):
        return {}
    config = node.value.get("config")
    if config is None or not isinstance(config.value, dict):
        return {}
    return {split_key(k)[1]: v for k, v in config.value.items() if split_key(k)[0] == NAMESPACE}


def project_value_nodes(project: Path) -> dict[str, Node]:
    """Nodes of the values ``Pulumi.yaml``'s ``config:`` gives the ``infermon:`` keys (shorthand,
    ``value`` or ``default``), to attribute what Pulumi applied from there."""
    path = project / "Pulumi.yaml"
    if not path.is_file():
        return {}
    try:
        node = load(path.read_text(), "Pulumi.yaml")
    except SourceError:
        return {}
    out = {}
    for key, n in _config_nodes(node).items():
        if isinstance(n.value, dict) and ("value" in n.value or "default" in n.value):
            out[key] = n.value.get("default") or n.value["value"]
        else:
            out[key] = n
    return out


def stack_file_nodes(project: Path, stack: str) -> dict[str, Node]:
    path = stacks_dir(project) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    try:
        return _config_nodes(load(path.read_text(), _rel(project, path)))
    except SourceError:
        return {}


# --- merging --------------------------------------------------------------------------------


def item_names(node: Node) -> Optional[list[str]]:
    """The item names of a list of named mappings, else None."""
    if not isinstance(node.value, list) or not node.value:
        return None
    names = []
    for item in node.value:
        if not isinstance(item.value, dict) or not isinstance(item.value.get("name", Node(None, item.origin)).value, str):
            return None
        names.append(item.value["name"].value)
    return names


def _is_removal(item: Node) -> bool:
    return isinstance(item.value, dict) and REMOVE in item.value


def _strip(node: Node, path: list[Union[str, int]], problems: list) -> Node:
    """An overlay with nothing beneath it: removals have nothing to remove."""
    if isinstance(node.value, dict):
        return Node({k: _strip(v, path + [k], problems) for k, v in node.value.items() if v.value is not None}, node.origin)
    if isinstance(node.value, list):
        kept = []
        for i, item in enumerate(node.value):
            if _is_removal(item):
                name = item.value.get("name").value if isinstance(item.value.get("name"), Node) else None
                problems.append((fmt_path(path + [i]), f"removes '{name}', which nothing beneath this file defines "
                                 "(only an item inherited from a shared file can be removed)", item.origin))
                continue
            kept.append(_strip(item, path + [i], problems))
        return Node(kept, node.origin)
    return node


def merge(base: Node, over: Node, path: Optional[list[Union[str, int]]] = None, problems: Optional[list] = None) -> Node:
    """``over`` merged onto ``base`` by the rules in the module docstring."""
    path = path or []
    problems = problems if problems is not None else []
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        out = dict(base.value)
        for k, v in over.value.items():
            if v.value is None:
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, path + [k], problems)
            else:
                out[k] = _strip(v, path + [k], problems)
        return Node(out, over.origin)
    if isinstance(base.value, list) and isinstance(over.value, list):
        base_names = item_names(base)
        over_named = all(isinstance(i.value, dict) and isinstance(getattr(i.value.get("name"), "value", None), str) for i in over.value)
        over_names = [i.value["name"].value for i in over.value] if over_named else []
        if base_names is not None and over_named and (len(set(base_names)) < len(base_names) or len(set(over_names)) < len(over_names)):
            # a name given twice in one file: keep every item, so validation reports the duplicate where it was written
            return Node(base.value + _strip(over, path, problems).value, over.origin)
        if base_names is not None and over_named:
            items = {n: item for n, item in zip(base_names, base.value)}
            order = list(base_names)
            for i, item in enumerate(over.value):
                name = item.value["name"].value
                if _is_removal(item):
                    extra = sorted(set(item.value) - {"name", REMOVE})
                    if item.value[REMOVE].value is not True:
                        problems.append((fmt_path(path + [i, REMOVE]), f"{item.value[REMOVE].value!r} is not allowed: only `{REMOVE}: true`", item.origin))
                    elif extra:
                        problems.append((fmt_path(path + [i]), f"removes '{name}' and also sets {', '.join(extra)}: give only name and {REMOVE}", item.origin))
                    elif name not in items:
                        problems.append((fmt_path(path + [i]), f"removes '{name}', which is not inherited (inherited: {', '.join(order) or 'none'})", item.origin))
                    else:
                        del items[name]
                        order.remove(name)
                    continue
                if name in items:
                    items[name] = merge(items[name], item, path + [i], problems)
                else:
                    items[name] = _strip(item, path + [i], problems)
                    order.append(name)
            return Node([items[n] for n in order], over.origin)
    return _strip(over, path, problems)


# --- the effective config ------------------------------------------------------------------


@dataclass
class Layered:
    root: Node
    """The effective ``infermon:`` namespace (without ``extends``), every part with its origin."""
    shared: list[str] = field(default_factory=list)
    """Shared files merged, lowest first (paths relative to the project)."""
    inheritors: dict[str, list[str]] = field(default_factory=dict)
    """Shared file → the stacks that build on it (directly or through another shared file)."""

    @property
    def values(self) -> dict[str, Any]:
        return self.root.plain()

    def origin(self, path: list[Union[str, int]]) -> Optional[Origin]:
        """Where the value at ``path`` (or its nearest existing ancestor) came from."""
        node, found = self.root, None
        for part in path:
            value = node.value
            if isinstance(value, dict) and isinstance(part, str) and part in value:
                node = value[part]
            elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
                node = value[part]
            else:
                break
            found = node
        return found.origin if found is not None else None

    def where(self, origin: Optional[Origin]) -> str:
        """An origin for a message: file and line, and the stacks inheriting a shared file."""
        if origin is None:
            return ""
        users = self.inheritors.get(origin.file)
        return f"{origin}, inherited by {', '.join(users)}" if users else str(origin)

    def leaves(self) -> list[tuple[str, Any, Origin]]:
        """Every leaf as (path with named items, value, origin), in config order."""
        out: list[tuple[str, Any, Origin]] = []

        def walk(node: Node, path: str) -> None:
            if isinstance(node.value, dict) and node.value:
                for k, v in node.value.items():
                    walk(v, join_key(path, k))
            elif isinstance(node.value, list) and node.value:
                names = item_names(node)
                for i, item in enumerate(node.value):
                    walk(item, f"{path}[{names[i] if names else i}]")
            else:
                out.append((path, node.plain(), node.origin))

        walk(self.root, "")
        return out


def _extends_list(node: Node, where: str) -> list[tuple[str, Origin]]:
    if isinstance(node.value, str):
        items = [node]
    elif isinstance(node.value, list):
        items = node.value
    else:
        raise LayerError([(where, f"{node.plain()!r} is not a list of shared files (paths relative to the stacks directory, "
                           "e.g. [shared/fleet.yaml])", node.origin)])
    out = []
    for i, item in enumerate(items):
        if not isinstance(item.value, str) or not item.value:
            raise LayerError([(f"{where}[{i}]", f"{item.plain()!r} is not a path to a shared file", item.origin)])
        out.append((item.value, item.origin))
    return out


def _shared_file(project: Path, rel: str, origin: Origin, where: str) -> Path:
    base = stacks_dir(project).resolve()
    path = (base / rel).resolve()
    if Path(rel).is_absolute() or base not in path.parents:
        raise LayerError([(where, f"'{rel}' is not inside the stacks directory ({_rel(project, base)}): shared files are "
                           "versioned with the stacks and read by `pulumi up` from the repository", origin)])
    if path.suffix not in (".yaml", ".yml"):
        raise LayerError([(where, f"'{rel}' is not a .yaml file", origin)])
    if path.name.startswith("Pulumi.") and path.parent == base:
        raise LayerError([(where, f"'{rel}' is a stack file; extend a shared file (e.g. shared/fleet.yaml) instead", origin)])
    if not path.is_file():
        candidates = sorted(_rel(project, p) for p in base.rglob("*.yaml") if not (p.parent == base and p.name.startswith("Pulumi.")))
        raise LayerError([(where, f"'{rel}' does not exist under {_rel(project, base)} (shared files there: {', '.join(candidates) or 'none'})", origin)])
    return path


def _has_secure(node: Node) -> Optional[Node]:
    if isinstance(node.value, dict):
        if set(node.value) == {"secure"}:
            return node
        for v in node.value.values():
            if (hit := _has_secure(v)) is not None:
                return hit
    if isinstance(node.value, list):
        for v in node.value:
            if (hit := _has_secure(v)) is not None:
                return hit
    return None


def _shared_layer(project: Path, path: Path, chain: list[Path], problems: list) -> tuple[Node, list[str]]:
    """A shared file with the files it extends merged beneath it."""
    rel = _rel(project, path)
    if path in chain:
        cycle = " → ".join(_rel(project, p) for p in chain + [path])
        raise LayerError([("extends", f"shared files extend each other in a cycle: {cycle}", Origin(rel))])
    doc = load(path.read_text(), rel)
    config = doc.value.get("config") if doc is not None and isinstance(doc.value, dict) else None
    if doc is None or not isinstance(doc.value, dict) or set(doc.value) - {"config"} or config is None or not isinstance(config.value, dict):
        raise LayerError([("", f"{rel}: a shared file holds one `config:` mapping of infermon: keys, like a stack file", Origin(rel, 1))])
    values: dict[str, Node] = {}
    for full_key, node in config.value.items():
        ns, key = split_key(full_key)
        if ns != NAMESPACE:
            problems.append((str(full_key), f"'{full_key}' is not an infermon: key; Pulumi reads other namespaces (providers) "
                             "from the stack file before the program runs, so they cannot be shared here", node.origin))
            continue
        if (secure := _has_secure(node)) is not None:
            problems.append((key, "holds a secret (`secure:`): secrets are encrypted per stack; set them in each stack with "
                             "`pulumi config set --secret`", secure.origin))
            continue
        values[key] = node
    layer = Node(values, config.origin)
    beneath: list[str] = []
    if EXTENDS in values:
        base: Optional[Node] = None
        for item, origin in _extends_list(values.pop(EXTENDS), EXTENDS):
            sub = _shared_file(project, item, origin, EXTENDS)
            node, files = _shared_layer(project, sub, chain + [path], problems)
            base = node if base is None else merge(base, node, [], problems)
            beneath += [f for f in files if f not in beneath]
        if base is not None:
            layer = merge(base, layer, [], problems)
    return layer, beneath + [rel]


def inheritors(project: Path) -> dict[str, list[str]]:
    """Shared file (relative to the project) → the stacks that build on it, directly or not."""
    from .sources import load_yaml

    base = stacks_dir(project)
    direct: dict[str, list[str]] = {}

    def extends_of(path: Path) -> list[str]:
        try:
            doc = load_yaml(path.read_text(), str(path)) or {}
        except (OSError, SourceError):
            return []
        config = doc.get("config") if isinstance(doc, dict) else None
        if not isinstance(config, dict):
            return []
        value = config.get(f"{NAMESPACE}:{EXTENDS}", config.get(EXTENDS))
        value = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [_rel(project, (base / v).resolve()) for v in value if isinstance(v, str)]

    for stack_file in sorted(base.glob("Pulumi.*.yaml")):
        stack = stack_file.name[len("Pulumi."):-len(".yaml")]
        seen: list[str] = []
        todo = extends_of(stack_file)
        while todo:
            rel = todo.pop(0)
            if rel in seen:
                continue
            seen.append(rel)
            todo += extends_of(project / rel)
        for rel in seen:
            direct.setdefault(rel, []).append(stack)
    return direct


def effective(raw: dict[str, Any], stack: str, project: Path) -> Layered:
    """The config the program builds: what Pulumi handed it (``raw``, decoded, without the
    namespace prefix) merged over the shared files it extends. Raises LayerError."""
    known = {**project_value_nodes(project), **stack_file_nodes(project, stack)}
    stack_node = Node({k: attribute(v, known.get(k), Origin(STACK_FALLBACK)) for k, v in raw.items()},
                      Origin(_rel(project, stacks_dir(project) / f"Pulumi.{stack}.yaml")))
    problems: list = []
    shared: list[str] = []
    base: Node = Node({}, stack_node.origin)
    if EXTENDS in stack_node.value:
        for item, origin in _extends_list(stack_node.value.pop(EXTENDS), EXTENDS):
            node, files = _shared_layer(project, _shared_file(project, item, origin, EXTENDS), [], problems)
            base = merge(base, node, [], problems)
            shared += [f for f in files if f not in shared]
    root = merge(base, stack_node, [], problems)
    if problems:
        raise LayerError(problems)
    return Layered(root, shared, inheritors(project) if shared else {})
