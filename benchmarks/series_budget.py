"""Series budget: the simulated prod fleet with ``metrics.keep: all`` and with ``used``.

    make bench-series      # or: .venv/bin/python benchmarks/series_budget.py

Runs ``infermon verify`` twice in one run, on copies of stacks/Pulumi.prod.yaml that differ
only in ``metrics.keep``, and prints the series stored per simulated server kind with both
(the simulators expose every family their upstream server registers), their ratio per kind and
overall, Prometheus' head series, and the share of dashboard panels that still answer and of
alerts that still fire. For a kind above the goal it names the used families holding the most
series. Needs the pinned Prometheus (``make setup-tools``). Prints figures; asserts nothing (not
a test).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.verify.run import verify  # noqa: E402


def project_with_keep(keep: str, tmp: Path) -> Path:
    root = tmp / keep
    shutil.copytree(ROOT / "stacks" / "shared", root / "stacks" / "shared")  # the files prod extends
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    doc["config"]["infermon:metrics"] = {"keep": keep}
    (root / "stacks" / "Pulumi.prod.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="infermon-series-"))
    try:
        results = {}
        for keep in ("all", "used"):
            print(f"running the simulated prod fleet with metrics.keep: {keep} …", file=sys.stderr, flush=True)
            results[keep] = verify("prod", project_with_keep(keep, tmp), progress=lambda m: None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'keep':>5} {'head series':>12} {'panels answering':>17} {'alerts firing':>14} {'all checks':>10}")
    for keep, r in results.items():
        fired = [c for c in r.checks if c.name.startswith("alerts fire")]
        alerts = f"{sum(int(c.detail.split('/')[0]) for c in fired)}/{sum(int(c.detail.split('/')[1].split()[0]) for c in fired)}"
        print(f"{keep:>5} {r.head_series:>12} {r.panels[0]:>8}/{r.panels[1]:<8} {alerts:>14} {'pass' if r.ok else 'FAIL':>10}")
    ratio = results["used"].head_series / results["all"].head_series
    print(f"head series ratio used/all: {ratio:.2f}")
    print()
    print(per_kind(results["all"].series_by_kind, results["used"].series_by_kind))


GOAL = 0.3


def per_kind(all_: dict[str, dict[str, int]], used: dict[str, dict[str, int]]) -> str:
    """Series stored per kind with keep: all and keep: used, their ratio, and for a kind above
    the goal the used families holding most of its series."""
    lines = [f"{'kind':<22} {'all':>6} {'used':>6} {'ratio':>6}  held up by (families stored with keep: used, series)"]
    total_all = total_used = 0
    for kind in sorted(all_):
        a, u = sum(all_[kind].values()), sum(used.get(kind, {}).values())
        total_all, total_used = total_all + a, total_used + u
        r = u / a if a else 0.0
        held = ""
        if r > GOAL:
            top = sorted(used.get(kind, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            held = ", ".join(f"{n} {c}" for n, c in top)
        lines.append(f"{kind:<22} {a:>6} {u:>6} {r:>6.2f}  {held}")
    r = total_used / total_all if total_all else 0.0
    lines.append(f"{'overall':<22} {total_all:>6} {total_used:>6} {r:>6.2f}  (goal: {GOAL} or less)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
