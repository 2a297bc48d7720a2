"""``infermon config``: a stack's effective configuration, each value with the file it came from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional

import yaml

from ..config import layers
from ..config.load import NAMESPACE
from ..config.sources import join_key, parse_path
from . import stackfile

SECRET = "[secret]"


class KeyNotFound(Exception):
    pass


def layered(stack: str, root: Optional[Path] = None) -> tuple[stackfile.StackFile, layers.Layered]:
    """What the program merges for ``stack`` (raises StackFileError, LayerError)."""
    sf = stackfile.read(stack, root)
    return sf, layers.effective(dict(sf.config), stack, stackfile.project_dir(root))


def _named_key(key: str, lay: layers.Layered) -> str:
    """``inference[2].port`` → ``inference[chat].port`` (the form ``leaves`` prints)."""
    node = lay.root
    out = ""
    for kind, part in parse_path(key):
        value = node.value if node is not None else None
        if kind == "key":
            out = join_key(out, part)
            node = value.get(part) if isinstance(value, dict) else None
            continue
        names = layers.item_names(node) if isinstance(value, list) else None
        if kind == "index" and isinstance(value, list) and part < len(value):
            node = value[part]
            part = names[part] if names else part
        elif kind == "item" and names and part in names:
            node = value[names.index(part)]
        else:
            node = None
        out += f"[{part}]"
    return out


def lines(stack: str, key: Optional[str] = None, root: Optional[Path] = None) -> list[str]:
    sf, lay = layered(stack, root)
    leaves = lay.leaves()
    if key:
        want = _named_key(key, lay)
        leaves = [leaf for leaf in leaves if leaf[0] == want or leaf[0].startswith(want + ".") or leaf[0].startswith(want + "[")]
        if not leaves:
            top = ", ".join(sorted(lay.root.value)) or "none"
            raise KeyNotFound(f"stack '{stack}' sets nothing at '{key}' (its top-level keys: {top}; a key left unset takes "
                              "its default, listed in docs/config-reference.md)")
    secret = set(sf.secret_keys)
    out = []
    for path, value, origin in leaves:
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        shown = SECRET if top in secret else json.dumps(value, sort_keys=True)
        out.append(f"{path}: {shown}    # {origin}")
    return out


def header(stack: str, root: Optional[Path] = None) -> str:
    sf, lay = layered(stack, root)
    project = stackfile.project_dir(root)
    layers_text = [str(sf.path.relative_to(project)) if sf.path.is_relative_to(project) else str(sf.path)]
    layers_text += [f"over {f}" for f in reversed(lay.shared)]
    layers_text += [f"with {s}" for s in sf.sources]
    return f"# stack {stack}: " + ", ".join(layers_text)


def flat(stack: str, root: Optional[Path] = None) -> str:
    """The stack as one complete stack file (shared files merged in; secrets as their ciphertexts)."""
    sf, lay = layered(stack, root)
    raw = stackfile.load_yaml(sf.path.read_text(), str(sf.path)) or {}
    file_config = raw.get("config") or {}
    config: dict[str, Any] = {}
    for key, value in sorted(lay.values.items()):
        if key in sf.secret_keys:
            ciphertext = file_config.get(f"{NAMESPACE}:{key}", file_config.get(key))
            if ciphertext is None:
                continue  # a secret from an ESC environment: it stays there
            config[f"{NAMESPACE}:{key}"] = ciphertext
        else:
            config[f"{NAMESPACE}:{key}"] = value
    for key, value in sorted(sf.other.items()):
        config[key] = value
    note = f"# {stack}, flattened by `infermon config --stack {stack} --flat` from: {header(stack, root)[2:]}\n"
    return note + yaml.safe_dump({"config": config}, sort_keys=False, default_flow_style=False, width=1000)
