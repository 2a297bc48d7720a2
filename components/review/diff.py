"""``infermon diff``: what a pull request changes, offline, as Markdown for a PR comment.

The base is rendered by *its own* code in a temporary git worktree and the head by the
working tree's code (``python -m components render`` run in each); then the two are compared
semantically: resources, dashboard panels, alert and monitor thresholds, scrape targets and
policy violations. Renders are independent of config order, so a reordered config shows no
change; secret values never appear (the manifest holds ``[secret]``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

import yaml

from .. import pins, tools
from ..config import ConfigError
from ..render import stackfile
from ..render.policy import check as policy_check
from policies.rules.storage_as_deployed import RESIZE_PROCEDURE

MARKER = "<!-- infermon-preview -->"
MAX_FIELDS = 8
MAX_CHANGES = 20
"""Changed fields listed per resource before the rest are counted."""
COLLAPSE_AFTER = 25
"""Entries of a section shown before the rest fold into a <details> block."""


class DiffError(Exception):
    pass


# --- rendering both sides -------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _read_tree(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): p.read_text() for p in sorted(d.rglob("*")) if p.is_file()}


def render_in(worktree: Path, stack: str, out: Path, config_of: Optional[str] = None) -> tuple[Optional[dict[str, str]], str]:
    """Files of ``stack`` rendered by the code of ``worktree`` itself (with ``config_of``'s
    configuration when given), or None and why."""
    if not (worktree / "stacks" / f"Pulumi.{stack}.yaml").is_file():
        return None, "the stack does not exist there"
    extra = ["--config-of", config_of] if config_of else []
    proc = subprocess.run([sys.executable, "-m", "components", "render", "--stack", stack, "--out", str(out), "--project-dir", str(worktree), *extra],
                          cwd=worktree, capture_output=True, text=True, timeout=600, env={**tools.environment(), "INFERMON_WRITE_INVALID": "1"})
    if not out.is_dir():
        reason = (proc.stderr.strip().splitlines() or ["render failed"])[-1]
        return None, f"it does not render ({reason})"
    return _read_tree(out), ""


# --- comparisons ----------------------------------------------------------------------------------


UNSET = object()
"""A value absent on one side."""
SECRET = "[secret]"
IDENTITY_KEYS = ("alert", "record", "job_name", "name", "uid", "title", "id")
"""Keys that name a list element (rules, scrape jobs, receivers, containers, panels): lists of
mappings are compared by the first of these every element has, uniquely, not by position."""


def _identity(items: list[Any]) -> Optional[str]:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in IDENTITY_KEYS:
        values = [i.get(key) for i in items]
        if all(isinstance(v, (str, int)) for v in values):
            return key
    return None


def value_changes(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every changed leaf as (path, old, new); list elements by identity where they have one."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            out += value_changes(old.get(k, UNSET), new.get(k, UNSET), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(old, list) and isinstance(new, list):
        key = _identity(old) if old else None
        if key and key == (_identity(new) if new else key) and len({str(i[key]) for i in old}) == len(old) \
                and len({str(i[key]) for i in new}) == len(new):
            by_old, by_new = {str(i[key]): i for i in old}, {str(i[key]): i for i in new}
            order = [str(i[key]) for i in old] + [str(i[key]) for i in new if str(i[key]) not in by_old]
            out = []
            for ident in order:
                out += value_changes(by_old.get(ident, UNSET), by_new.get(ident, UNSET), f"{path}[{ident}]")
            return out
        if len(old) == len(new):
            out = []
            for i, (a, b) in enumerate(zip(old, new)):
                out += value_changes(a, b, f"{path}[{i}]")
            return out
    return [(path, old, new)]


REPLACE_ON = {
    "kubernetes:apps/v1:DaemonSet": ("spec.selector",),
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:apps/v1:StatefulSet": ("spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"),
    "kubernetes:core/v1:Service": ("spec.clusterIP", "spec.clusterIPs"),
    "kubernetes:core/v1:Secret": ("type",),
    "kubernetes:core/v1:PersistentVolumeClaim": ("spec.storageClassName", "spec.accessModes", "spec.selector"),
    "kubernetes:helm.sh/v3:Release": ("name", "namespace"),
}
"""Inputs the provider cannot change in place: the resource is deleted and created again
(immutable Kubernetes fields; a Helm release's name and namespace)."""
DOCKER_CONTAINER_UPDATABLE = ("restart", "maxRetryCount", "cpuShares", "cpuSet", "memory", "memorySwap")
"""The only container settings pulumi-docker changes in place; any other change recreates the container."""


def replaced_by(rtype: str, paths: list[str]) -> list[str]:
    """The changed paths that make the provider replace the resource rather than update it."""
    def under(p: str, prefix: str) -> bool:
        return p == prefix or p.startswith(prefix + ".") or p.startswith(prefix + "[")

    if rtype == "docker:index/container:Container":
        return [p for p in paths if not any(under(p, k) for k in DOCKER_CONTAINER_UPDATABLE)]
    prefixes = REPLACE_ON.get(rtype, ()) + (("metadata.name", "metadata.namespace") if rtype.startswith("kubernetes:") else ())
    return [p for p in paths if any(under(p, k) for k in prefixes)]


def _manifest(files: dict[str, str]) -> dict[tuple[str, str], dict]:
    return {(e["type"], e["name"]): e for e in json.loads(files.get("manifest.json", "[]"))}


def resource_changes(base: dict[str, str], head: dict[str, str]) -> tuple[list, list, list]:
    """(added, removed, changed): changed as ((type, name), [(path, old, new)], replace paths)."""
    b, h = _manifest(base), _manifest(head)
    added = sorted(k for k in h if k not in b)
    removed = sorted(k for k in b if k not in h)
    changed = []
    for k in sorted(set(b) & set(h)):
        changes = value_changes(b[k]["inputs"], h[k]["inputs"])
        if changes:
            changed.append((k, changes, replaced_by(k[0], [p for p, _, _ in changes])))
    return added, removed, changed


def _blob(value: Any) -> Optional[list[str]]:
    """A long or multi-line string as lines to diff (JSON pretty-printed); None for a short value."""
    if not isinstance(value, str) or (len(value) <= 80 and "\n" not in value):
        return None
    try:
        parsed = json.loads(value)
        if isinstance(parsed, (dict, list)):
            return json.dumps(parsed, indent=2, sort_keys=True).splitlines()
    except ValueError:
        pass
    return value.splitlines() or [""]


def _show(value: Any) -> str:
    if value is UNSET:
        return "_(unset)_"
    if value == SECRET:
        return SECRET
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    if len(text) > 80:
        text = text[:77] + "…"
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def change_lines(path: str, old: Any, new: Any) -> list[str]:
    """One changed input as Markdown list lines (a collapsible unified diff for long strings)."""
    import difflib

    if old == SECRET or new == SECRET:
        return [f"  - `{path}`: secret changed (values not shown)" if old is not UNSET and new is not UNSET
                else f"  - `{path}`: {'added' if old is UNSET else 'removed'} (secret)"]
    a, b = _blob(old), _blob(new)
    if a is None and b is None:
        return [f"  - `{path}`: {_show(old)} → {_show(new)}"]
    udiff = list(difflib.unified_diff(a or [], b or [], "base", "head", n=1, lineterm=""))[2:]
    shown = udiff[:MAX_FILE_LINES] + ([f"… {len(udiff) - MAX_FILE_LINES} more lines"] if len(udiff) > MAX_FILE_LINES else [])
    changed = sum(1 for line in udiff if line[:1] in "+-" and not line.startswith("@@"))
    return [f"  - `{path}`:", "", f"    <details><summary>{changed} lines changed</summary>", "", "    ```diff",
            *[f"    {line}" for line in shown], "    ```", "", "    </details>", ""]


def _dashboards(files: dict[str, str]) -> dict[str, dict]:
    return {json.loads(t)["uid"]: json.loads(t) for rel, t in files.items() if rel.startswith("grafana/") and rel.endswith(".json")}


def _panels(d: dict) -> dict[str, list[str]]:
    """Panels by "row / title" (titles repeat across the overview's rows)."""
    out: dict[str, list[str]] = {}
    row = ""
    for p in d.get("panels", []):
        if p.get("type") == "row":
            row = p.get("title", "")
            continue
        out[f"{row} / {p['title']}" if row else p["title"]] = [t.get("expr", "") for t in p.get("targets", [])]
    return out


def dashboard_changes(base: dict[str, str], head: dict[str, str]) -> list[str]:
    b, h = _dashboards(base), _dashboards(head)
    lines = []
    for uid in sorted(set(b) | set(h)):
        if uid not in b:
            lines.append(f"- `{uid}`: **new dashboard** ({len(_panels(h[uid]))} panels)")
            continue
        if uid not in h:
            lines.append(f"- `{uid}`: **removed**")
            continue
        pb, ph = _panels(b[uid]), _panels(h[uid])
        notes = [f"+ panel “{t}”" for t in sorted(set(ph) - set(pb))]
        notes += [f"− panel “{t}”" for t in sorted(set(pb) - set(ph))]
        notes += [f"~ query of “{t}”" for t in sorted(set(pb) & set(ph)) if pb[t] != ph[t]]
        if notes:
            lines.append(f"- `{uid}`: " + "; ".join(notes))
    return lines


THRESHOLD = re.compile(r"(>|<|>=|<=|==) (-?[0-9.e+]+)$")


def _alerts(files: dict[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
    out = {}
    for rel, text in files.items():
        if rel.startswith("prometheus/rules/"):
            for g in yaml.safe_load(text)["groups"]:
                for r in g["rules"]:
                    if "alert" in r:
                        m = THRESHOLD.search(r["expr"])
                        key = (r["alert"], r.get("labels", {}).get("service", ""))
                        out[key] = (m.group(2) if m else "", r["expr"])
    return out


def alert_changes(base: dict[str, str], head: dict[str, str]) -> list[str]:
    b, h = _alerts(base), _alerts(head)
    lines = []
    for key in sorted(set(b) | set(h)):
        name = f"`{key[0]}`" + (f" ({key[1]})" if key[1] else "")
        if key not in b:
            lines.append(f"- {name}: **new alert**, threshold {h[key][0]}")
        elif key not in h:
            lines.append(f"- {name}: **removed**")
        elif b[key][0] != h[key][0]:
            lines.append(f"- {name}: threshold {b[key][0]} → **{h[key][0]}**")
        elif b[key][1] != h[key][1]:
            lines.append(f"- {name}: expression changed")
    return lines


def _monitors(files: dict[str, str]) -> dict[str, str]:
    return {m["name"]: m.get("monitorThresholds", {}).get("critical", "") for m in json.loads(files.get("datadog/monitors.json", "[]"))}


def monitor_changes(base: dict[str, str], head: dict[str, str]) -> list[str]:
    b, h = _monitors(base), _monitors(head)
    lines = []
    for name in sorted(set(b) | set(h)):
        if name not in b:
            lines.append(f"- `{name}`: **new monitor**, critical {h[name]}")
        elif name not in h:
            lines.append(f"- `{name}`: **removed**")
        elif b[name] != h[name]:
            lines.append(f"- `{name}`: critical {b[name]} → **{h[name]}**")
    return lines


def _targets(files: dict[str, str]) -> set[str]:
    out = set()
    for job in yaml.safe_load(files.get("prometheus/scrape-configs.yaml", "[]")) or []:
        for sc in job.get("static_configs", []):
            out.update(f"{job['job_name']} → {t}" for t in sc.get("targets", []))
    for (typ, _), e in _manifest(files).items():
        if typ.endswith(":ServiceMonitor") or typ.endswith(":PodMonitor"):
            md = e["inputs"]["metadata"]
            out.add(f"{typ.rsplit(':', 1)[-1]} {md['namespace']}/{md['name']}")
    return out


def target_changes(base: dict[str, str], head: dict[str, str]) -> list[str]:
    b, h = _targets(base), _targets(head)
    return [f"- + {t}" for t in sorted(h - b)] + [f"- − {t}" for t in sorted(b - h)]


def _violations(files: dict[str, str], stack: str, root: Path) -> set[tuple[str, str, str]]:
    manifest = json.loads(files.get("manifest.json", "[]"))
    return {(p.violation.policy, p.violation.resource or "", p.violation.message) for p in policy_check(manifest, stack, root)}


def policy_changes(base: dict[str, str], head: dict[str, str], stack: str, root: Path) -> list[str]:
    b, h = _violations(base, stack, root), _violations(head, stack, root)
    lines = [f"- introduced: `{p}` on `{r}`: {m}" for p, r, m in sorted(h - b)]
    lines += [f"- fixed: `{p}` on `{r}`: {m}" for p, r, m in sorted(b - h)]
    return lines


MAX_FILE_LINES = 40
RESOURCE_DIRS = ("containers", "networks", "volumes")


def _config_files(files: dict[str, str]) -> dict[str, str]:
    """Configuration files a docker stack uploads into its containers (rules and dashboards have
    their own sections; the resources their own table)."""
    out = {}
    for rel, text in files.items():
        parts = rel.split("/")
        if rel in ("prometheus/prometheus.yml", "alertmanager/alertmanager.yml") or rel.startswith("grafana/provisioning/"):
            out[rel] = text
        elif parts[0] == "docker" and len(parts) > 3 and parts[2] not in RESOURCE_DIRS:
            out[rel] = text
    return out


def file_changes(base: dict[str, str], head: dict[str, str]) -> list[str]:
    """A unified diff per changed configuration file (rendered files never hold a secret)."""
    import difflib

    b, h = _config_files(base), _config_files(head)
    lines: list[str] = []
    for rel in sorted(set(b) | set(h)):
        if b.get(rel) == h.get(rel):
            continue
        if rel not in b:
            lines.append(f"- `{rel}`: **new file**")
            continue
        if rel not in h:
            lines.append(f"- `{rel}`: **removed**")
            continue
        udiff = list(difflib.unified_diff(b[rel].splitlines(), h[rel].splitlines(), "base", "head", n=2, lineterm=""))[2:]
        shown = udiff[:MAX_FILE_LINES] + ([f"… {len(udiff) - MAX_FILE_LINES} more lines"] if len(udiff) > MAX_FILE_LINES else [])
        lines += [f"- `{rel}`:", "", "```diff", *shown, "```", ""]
    return lines


# --- markdown ------------------------------------------------------------------------------------


STORAGE = {
    "values.prometheus.prometheusSpec.storageSpec": "Prometheus",
    "values.alertmanager.alertmanagerSpec.storage": "Alertmanager",
}
"""Release values that end up in a StatefulSet's volumeClaimTemplates."""

def blocking_changes(changed: list) -> list[str]:
    """Changes that look applied after `pulumi up` but do not do what they say."""
    out = []
    for (t, n), changes, replace in changed:
        if t == "kubernetes:helm.sh/v3:Release":
            for prefix, what in STORAGE.items():
                moved = [(p, o, nw) for p, o, nw in changes if p == prefix or p.startswith(prefix + ".")]
                if moved:
                    shown = "; ".join(f"`{p.removeprefix(prefix + '.')}` {_show(o)} → {_show(nw)}" for p, o, nw in moved)
                    out.append(f"- **{what} storage** ({shown}): {RESIZE_PROCEDURE}")
        elif replace and t.startswith("kubernetes:"):
            out.append(f"- `{t}` `{n}` is **replaced** ({', '.join(f'`{p}`' for p in replace[:3])} cannot change in place): "
                       "it is deleted and created again; for a workload, a rollout with downtime")
    return out


def pin_changes(base_text: Optional[str], head_text: Optional[str]) -> list[str]:
    """What a change of ``components/pins.yaml`` moves, and the upstream notes to read."""
    if base_text is None or head_text is None or base_text == head_text:
        return []
    old, new = yaml.safe_load(base_text), yaml.safe_load(head_text)
    lines = [f"- `{m.what}`: {_show(m.old)} → **{_show(m.new)}**" for m in pins.moves(old, new)]
    ok, nk = old.get("kube-prometheus-stack", {}), new.get("kube-prometheus-stack", {})
    if ok.get("chart") != nk.get("chart"):
        lines.append(f"- kube-prometheus-stack chart {ok.get('chart')} → **{nk.get('chart')}**; read: "
                     + ", ".join(pins.upgrade_sections(ok.get("chart"), nk.get("chart"), nk.get("upgrade-notes", ""))))
    if ok.get("operator") != nk.get("operator"):
        lines.append(f"- Prometheus Operator {ok.get('operator')} → **{nk.get('operator')}**: the monitoring.coreos.com **CRDs change** "
                     "(Pulumi applies the new ones before the release, server-side; they are never deleted)")
    elif ok.get("chart") != nk.get("chart"):
        lines.append("- the operator (chart appVersion) is unchanged: **the CRDs do not change**")
    od, nd = old.get("datadog", {}), new.get("datadog", {})
    if od.get("chart") != nd.get("chart"):
        lines.append(f"- Datadog chart {od.get('chart')} → **{nd.get('chart')}**; read: {nd.get('upgrade-notes', '')}")
    return lines


def stack_markdown(stack: str, base: Optional[dict[str, str]], head: dict[str, str], why: str, root: Path,
                   secret_changes: Optional[list[str]] = None) -> str:
    lines = [f"### Stack `{stack}`", ""]
    if base is None:
        lines += [f"_At the base, {why}: everything below is new._", ""]
        base = {}
    added, removed, changed = resource_changes(base, head)
    sections = [
        ("Dashboards", collapse(dashboard_changes(base, head), "dashboards")),
        ("Alert thresholds and rules", alert_changes(base, head)),
        ("Datadog monitors", monitor_changes(base, head)),
        ("Scrape targets", target_changes(base, head)),
        ("Configuration files", file_changes(base, head) if base else []),
        ("Secrets", secret_changes or []),
        ("Policy violations", policy_changes(base, head, stack, root)),
    ]
    blocking = blocking_changes(changed)
    if not (added or removed or changed) and not any(s for _, s in sections):
        return "\n".join(lines + ["No changes.", ""])
    if blocking:
        lines += ["> [!CAUTION]", "> **Blocking: changes that do not do what they say**", ""] + blocking + [""]
    replaces = sum(1 for _, _, r in changed if r)
    lines.append(f"**+ {len(added)} ~ {len(changed) - replaces} − {len(removed)}, {replaces} replace** "
                 f"({len(added)} to add, {len(changed) - replaces} to update, {len(removed)} to delete, {replaces} to replace)")
    if added or removed or changed:
        lines += ["", "| | type | name | changed fields |", "| --- | --- | --- | --- |"]
        lines += [f"| + | `{t}` | `{n}` | |" for t, n in added]
        lines += [f"| − | `{t}` | `{n}` | |" for t, n in removed]
        for (t, n), changes, replace in changed:
            paths = [p for p, _, _ in changes]
            shown = ", ".join(f"`{p}`" for p in paths[:MAX_FIELDS]) + (f" and {len(paths) - MAX_FIELDS} more" if len(paths) > MAX_FIELDS else "")
            lines.append(f"| {'± **replace**' if replace else '~'} | `{t}` | `{n}` | {shown} |")
    if changed:
        details: list[str] = []
        for (t, n), changes, replace in changed:
            why = f" — **replaced**: {', '.join(f'`{p}`' for p in replace[:3])} cannot change in place" if replace else ""
            entry = [f"- {'±' if replace else '~'} `{t}` `{n}`{why}"]
            for path, old, new in changes[:MAX_CHANGES]:
                entry += change_lines(path, old, new)
            if len(changes) > MAX_CHANGES:
                entry.append(f"  - … and {len(changes) - MAX_CHANGES} more changed fields")
            details.append("\n".join(entry))
        lines += ["", "**Changed values**", "", *collapse(details, "changed resources")]
    for title, body in sections:
        if body:
            lines += ["", f"**{title}**", "", *body]
    return "\n".join(lines) + "\n"


def collapse(items: list[str], what: str, limit: int = COLLAPSE_AFTER) -> list[str]:
    """The first ``limit`` items, the rest in a collapsed block that says how many there are."""
    if len(items) <= limit:
        return items
    return [*items[:limit], "", f"<details><summary>{len(items) - limit} more {what}</summary>", "", *items[limit:], "", "</details>"]


def secret_changes_between(base_file: Optional[Path], head_file: Path) -> list[str]:
    """Secret config keys whose ciphertext changed: named, never shown."""
    def secure(path: Optional[Path]) -> dict[str, Any]:
        if path is None or not path.is_file():
            return {}
        doc = stackfile.load_yaml(path.read_text(), str(path)) or {}
        return {k: v for k, v in (doc.get("config") or {}).items() if isinstance(v, dict) and set(v) == {"secure"}}

    b, h = secure(base_file), secure(head_file)
    lines = [f"- `{k}`: **new secret** (value not shown)" for k in sorted(set(h) - set(b))]
    lines += [f"- `{k}`: removed" for k in sorted(set(b) - set(h))]
    lines += [f"- `{k}`: changed (value not shown)" for k in sorted(set(b) & set(h)) if b[k] != h[k]]
    return lines


def diff(base_ref: str, stack_arg: str, root: Optional[Path] = None) -> str:
    root = (root or Path.cwd()).resolve()
    top = Path(_git(root, "rev-parse", "--show-toplevel"))
    sha = _git(top, "rev-parse", "--short", f"{base_ref}^{{commit}}")
    head_stacks = stackfile.available_stacks(top)
    tmp = Path(tempfile.mkdtemp(prefix="infermon-diff-"))
    worktree = tmp / "base"
    try:
        _git(top, "worktree", "add", "--detach", "--quiet", str(worktree), sha)
        base_stacks = stackfile.available_stacks(worktree)
        stacks = sorted(set(head_stacks) | set(base_stacks)) if stack_arg == "all" else [stack_arg]
        parts = [MARKER, f"## infermon preview (offline) — base `{base_ref}` ({sha})", ""]
        pinned = "components/pins.yaml"
        moved = pin_changes((worktree / pinned).read_text() if (worktree / pinned).is_file() else None,
                            (top / pinned).read_text() if (top / pinned).is_file() else None)
        if moved:
            parts += ["### Pinned versions", "", *moved, ""]
        # every side of every stack is its own render process: run them on all the machine's cores
        sides = {(stack, side): (tree, tmp / ("head" if side == "head" else "base-out") / stack)
                 for stack in stacks if stack in head_stacks for side, tree in (("head", top), ("base", worktree))}
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            futures = {key: pool.submit(render_in, tree, key[0], out) for key, (tree, out) in sides.items()}
            results = {key: f.result() for key, f in futures.items()}
        for stack in stacks:
            if stack not in head_stacks:
                parts.append(f"### Stack `{stack}`\n\n_The stack is deleted by this change._\n")
                continue
            head, why_head = results[(stack, "head")]
            if head is None:
                raise DiffError(f"stack {stack} in the working tree: {why_head}")
            base, why = results[(stack, "base")]
            secrets = secret_changes_between(worktree / "stacks" / f"Pulumi.{stack}.yaml", top / "stacks" / f"Pulumi.{stack}.yaml")
            parts.append(stack_markdown(stack, base, head, why, top, secrets))
        parts.append("<sub>Rendered offline under the Pulumi mock engine; secrets are never shown. "
                     "`pulumi preview` against the real stack remains the source of truth.</sub>")
        return "\n".join(parts) + "\n"
    finally:
        subprocess.run(["git", "-C", str(top), "worktree", "remove", "--force", str(worktree)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def against(stack: str, target: str, root: Optional[Path] = None) -> str:
    """The promotion review: what would change in ``target`` if it had ``stack``'s configuration
    (both rendered by the working tree's code, compared like a PR's two sides)."""
    root = (root or Path.cwd()).resolve()
    stacks = stackfile.available_stacks(root)
    for name in (stack, target):
        if name not in stacks:
            raise DiffError(f"no stack '{name}' (stacks: {', '.join(stacks) or 'none'})")
    tmp = Path(tempfile.mkdtemp(prefix="infermon-against-"))
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            new_f = pool.submit(render_in, root, target, tmp / "new", stack)
            old_f = pool.submit(render_in, root, target, tmp / "old")
            new, old = new_f.result(), old_f.result()
        for name, (files, why) in ((stack, new), (target, old)):
            if files is None:
                raise DiffError(f"stack {name}: {why}")
        b, h = stackfile.read(target, root).secret_keys, stackfile.read(stack, root).secret_keys
        secrets = [f"- `{k}`: set in `{stack}` only (values not shown)" for k in sorted(set(h) - set(b))]
        secrets += [f"- `{k}`: set in `{target}` only" for k in sorted(set(b) - set(h))]
        body = stack_markdown(target, old[0], new[0], "", root, secrets)
        body = body.replace(f"### Stack `{target}`", f"### `{target}` → with `{stack}`'s configuration", 1)
        return "\n".join([MARKER, f"## infermon promotion review (offline) — `{target}` if it had `{stack}`'s configuration", "",
                          "Old values are `" + target + "`'s, new values `" + stack + "`'s; secrets are compared by name only "
                          "(each stack encrypts its own).", "", body,
                          "<sub>Rendered offline under the Pulumi mock engine; secrets are never shown.</sub>"]) + "\n"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_diff(base_ref: Optional[str], stack_arg: str, root: Optional[Path], out: Optional[str], against_stack: Optional[str] = None) -> int:
    try:
        text = against(stack_arg, against_stack, root) if against_stack else diff(base_ref, stack_arg, root)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (DiffError, stackfile.StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if out:
        Path(out).write_text(text)
    print(text, end="")
    return 0
