"""A ``pulumi preview``-shaped summary of a render."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

from .engine import PROJECT
from .render import Rendered


def _tree(rendered: Rendered) -> list[tuple[str, str, str]]:
    regs = rendered.run.registrations
    children: dict[Optional[str], list] = {}
    urns = {r.urn for r in regs}
    for r in regs:
        parent = r.parent if r.parent in urns else None
        children.setdefault(parent, []).append(r)
    for kids in children.values():
        kids.sort(key=lambda r: (r.custom, r.type, r.name))  # components first, then by type

    rows: list[tuple[str, str, str]] = [("", "pulumi:pulumi:Stack", f"{PROJECT}-{rendered.stack}")]

    def walk(parent: Optional[str], prefix: str) -> None:
        kids = children.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            rows.append((prefix + ("└─ " if last else "├─ "), r.type, r.name))
            walk(r.urn, prefix + ("   " if last else "│  "))

    walk(None, "")
    return rows


def preview_summary(rendered: Rendered) -> str:
    """What ``infermon render`` prints for a stack, before the files it wrote (``written_summary``)."""
    lines = [f"Previewing update ({rendered.stack}) offline: the infermon program under the Pulumi mock engine"]
    if rendered.config_sources:
        lines.append(f"Config: {', '.join(rendered.config_sources)}   (`infermon config --stack {rendered.stack}` shows each value's origin)")
    lines.append("")
    rows = _tree(rendered)
    width = max(len(p) + len(t) for p, t, _ in rows) + 2
    name_width = max(len(n) for _, _, n in rows) + 2
    lines.append(f"     {'Type'.ljust(width)} {'Name'.ljust(name_width)} Plan")
    for prefix, typ, name in rows:
        lines.append(f" +   {(prefix + typ).ljust(width)} {name.ljust(name_width)} create")
    total = len(rows)
    lines += ["", "Resources:", f"    + {total} to create", "", "By type:"]
    counts = Counter(r.type for r in rendered.run.registrations)
    tw = max(len(t) for t in counts) if counts else 0
    for typ, n in sorted(counts.items()):
        lines.append(f"    {typ.ljust(tw)}  {n}")
    lines += ["", "Validation:"]
    for c in rendered.checks:
        mark = "-" if c.skipped else ("✓" if c.ok else "✗")
        lines.append(f"    {mark} {c.name}: {c.detail}")
        for e in c.errors[:20]:
            lines.append(f"        {e}")
        if len(c.errors) > 20:
            lines.append(f"        … and {len(c.errors) - 20} more")
    from .policy import format_results

    lines += [""] + format_results(rendered.policies, rendered.stack).rstrip("\n").split("\n")
    lines += ["", "Outputs:"]
    for key, value in sorted(rendered.run.outputs.items()):
        lines.append(f"    {key}: {value}")
    return "\n".join(lines) + "\n"


def written_summary(files: dict[str, str], out_dir: Path) -> str:
    """The lines that follow the preview once ``files`` are written to ``out_dir``."""
    groups = Counter(rel.split("/")[0] if "/" in rel else rel for rel in files)
    lines = ["", f"Files written to {out_dir}:"]
    for group, n in sorted(groups.items()):
        lines.append(f"    {group}{'/' if '.' not in group else ''}{f'  ({n} files)' if '.' not in group else ''}")
    return "\n".join(lines) + "\n"
