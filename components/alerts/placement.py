"""Where each rule runs when the targets are split across Prometheus shards.

A shard scrapes the targets whose address hashes to it, so it holds every series of those
targets and none of the others. A rule can stay on the shards when its result for a target
depends only on that target's series: then each shard computes exactly its share of the
answer, and the shards' answers together are the whole one. Everything else — an aggregation
that merges targets, a join across targets, an absence test (a shard lacks most series by
design), or a read of another such rule's result — runs on Thanos Ruler, which queries the
deduplicated global view.

Decided from the rule's own expression, parsed by the real PromQL parser: a rule is local when
every aggregation keeps the ``instance`` label (the target's address, what the operator shards
on), every vector join matches on it, and it uses no function whose answer needs every target.
"""

from __future__ import annotations

from typing import Any, Iterable

import promql_parser as pp

from ..catalog.promql import metric_names

TARGET_LABEL = "instance"
"""The label that names one target: its address, which the operator's hashmod shards on."""

FLEET_FUNCTIONS = frozenset({"absent", "absent_over_time", "scalar"})
"""Functions whose answer depends on series a shard does not hold."""

PLACEMENT_LABEL = "infermon.dev/rule-placement"
"""PrometheusRule label: ``global`` objects are evaluated by Thanos Ruler, the others by every shard."""


def _keeps_target(node: Any) -> bool:
    """Whether an aggregation keeps each target's series apart."""
    mod = node.modifier
    if mod is None:
        return False
    labels = set(mod.labels)
    if str(mod.type).endswith("By"):
        return TARGET_LABEL in labels
    return TARGET_LABEL not in labels  # without (...)


def _is_scalar(node: Any) -> bool:
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return True
    if isinstance(node, pp.ParenExpr):
        return _is_scalar(node.expr)
    if isinstance(node, pp.UnaryExpr):
        return _is_scalar(node.expr)
    if isinstance(node, pp.BinaryExpr):
        return _is_scalar(node.lhs) and _is_scalar(node.rhs)
    if isinstance(node, pp.Call):
        return node.func.name in ("time", "pi", "scalar") or (node.func.name in ("minute", "hour", "day_of_week", "day_of_month",
                                                                                  "days_in_month", "month", "year") and not node.args)
    return False


def _joins_within_target(node: Any) -> bool:
    """Whether a binary operation pairs only series of one target (or involves a scalar)."""
    if _is_scalar(node.lhs) or _is_scalar(node.rhs):
        return True
    mod = node.modifier
    matching = mod.matching if mod is not None else None
    if matching is None:  # one-to-one on every label: instance included
        return True
    labels = set(matching.labels)
    if str(matching.type).endswith("Include"):  # on (...)
        return TARGET_LABEL in labels
    return TARGET_LABEL not in labels  # ignoring (...)


def reasons(expr: str) -> list[str]:
    """Why ``expr`` needs the whole fleet; empty when each shard can evaluate it on its own targets."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, pp.AggregateExpr) and not _keeps_target(node):
            found.append(f"{node.op} {node.modifier or ''}".strip() + " merges targets")
        elif isinstance(node, pp.BinaryExpr) and not _joins_within_target(node):
            found.append(f"{node.modifier.matching} joins targets")
        elif isinstance(node, pp.Call) and node.func.name in FLEET_FUNCTIONS:
            found.append(f"{node.func.name}() needs every target")

    pp.walk(pp.parse(expr), visit)
    return found


def global_rules(rules: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Rules (by ``alert``/``record`` name and expression) that must run on the global view, with
    the reasons; a rule reading a global rule's recorded series is global too."""
    rules = list(rules)
    out: dict[str, list[str]] = {}
    for r in rules:
        why = reasons(r["expr"])
        if why:
            out[_key(r)] = why
    changed = True
    while changed:  # a rule reading a global record sees it only through the global view
        changed = False
        recorded = {r["record"] for r in rules if "record" in r and _key(r) in out}
        for r in rules:
            if _key(r) not in out:
                read = sorted(metric_names(r["expr"]) & recorded)
                if read:
                    out[_key(r)] = [f"reads {', '.join(read)}, recorded on the global view"]
                    changed = True
    return out


def _key(rule: dict[str, Any]) -> str:
    return f"{'record' if 'record' in rule else 'alert'}:{rule.get('record') or rule.get('alert')}:{rule['expr']}"


def split(files: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Rule files as (shard-local, global): each file's groups keep their order, a group whose
    rules are all on one side appears on that side only, and a global group is named
    ``<group>.global`` (Thanos Query lists both sides' groups together, and tools key groups by name)."""
    every = [r for spec in files.values() for g in spec["groups"] for r in g["rules"]]
    glob = global_rules(every)
    local_files: dict[str, dict[str, Any]] = {}
    global_files: dict[str, dict[str, Any]] = {}
    for name, spec in files.items():
        for side, target in ((False, local_files), (True, global_files)):
            groups = []
            for g in spec["groups"]:
                rules = [r for r in g["rules"] if (_key(r) in glob) == side]
                if rules:
                    groups.append({**g, "name": f"{g['name']}.global" if side else g["name"], "rules": rules})
            if groups:
                target[f"{name}-global" if side else name] = {"groups": groups}
    return local_files, global_files
