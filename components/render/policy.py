"""Run the CrossGuard rules (policies/rules) over an offline render."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from policies.rules import RULES, Resource, Violation, resource_violations, stack_violations

PACK = "infermon-policies"


@dataclass(frozen=True)
class PolicyResult:
    violation: Violation
    enforcement: str
    type: str


def pack_config(stack: str, root: Optional[Path] = None) -> dict:
    """``policies/config.<stack>.json``, the file ``pulumi preview --policy-pack-config`` takes."""
    base = (root or Path(__file__).resolve().parents[2]) / "policies"
    path = base / f"config.{stack}.json"
    if not path.is_file():
        path = Path(__file__).resolve().parents[2] / "policies" / f"config.{stack}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def check(manifest: list[dict], stack: str, root: Optional[Path] = None) -> list[PolicyResult]:
    evaluation = Evaluation(stack, root)
    for entry in manifest:
        evaluation.add(entry)
    return evaluation.results(manifest)


class Evaluation:
    """The rules of the stack's pack config over a manifest, fed one entry at a time (a large render's
    worker evaluates each resource as it is registered), then the stack rules over all of them."""

    def __init__(self, stack: str, root: Optional[Path] = None):
        config = pack_config(stack, root)
        default = config.get("all", "advisory")
        self.rules = []
        for rule in RULES:
            rule_cfg = config.get(rule.name) if isinstance(config.get(rule.name), dict) else {}
            enforcement = config.get(rule.name) if isinstance(config.get(rule.name), str) else rule_cfg.get("enforcementLevel", default)
            if enforcement != "disabled":
                self.rules.append((rule, rule_cfg, enforcement))
        self.found: list[tuple[Violation, str]] = []

    def add(self, entry: dict) -> None:
        resource = Resource(entry["type"], entry["name"], entry["inputs"])
        for rule, rule_cfg, enforcement in self.rules:
            self.found += [(v, enforcement) for v in resource_violations(rule, resource, rule_cfg)]

    def results(self, manifest: list[dict]) -> list[PolicyResult]:
        """Every violation, the stack rules' included; ``manifest``: the entries ``add`` was given."""
        resources = [Resource(e["type"], e["name"], e["inputs"]) for e in manifest]
        types = {r.name: r.type for r in resources}
        found = list(self.found)
        for rule, rule_cfg, enforcement in self.rules:
            found += [(v, enforcement) for v in stack_violations(rule, resources, rule_cfg)]
        out = [PolicyResult(v, enforcement, types.get(v.resource or "", "")) for v, enforcement in found]
        return sorted(out, key=lambda p: (p.violation.policy, p.violation.resource or "", p.violation.message))


def format_results(results: list[PolicyResult], stack: str) -> str:
    lines = ["Policies:"]
    if not results:
        lines.append(f"    ✓ {PACK}: no violations ({len(RULES)} policies, stack {stack})")
        return "\n".join(lines) + "\n"
    mandatory = any(r.enforcement == "mandatory" for r in results)
    lines.append(f"    {'✗' if mandatory else '!'} {PACK}: {len(results)} violation{'s' if len(results) != 1 else ''} (stack {stack})")
    for r in results:
        where = f"  ({r.type}: {r.violation.resource})" if r.violation.resource else ""
        lines.append(f"        - [{r.enforcement}]  {r.violation.policy}{where}")
        lines.append(f"          {r.violation.message}")
    return "\n".join(lines) + "\n"
