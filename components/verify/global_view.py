"""A sharded stack, run for real: Prometheus shards × replicas with the operator's hashmod
relabelling, a Thanos sidecar on each, Thanos Ruler on the rules placed globally, and Thanos
Query over all of them, beside one unsharded Prometheus on the same simulators.

``verify`` then reads every panel, rule and alert through Query, and compares what Query
answers with what the unsharded Prometheus answers at the same instant.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .. import naming, tools
from ..alerts.placement import PLACEMENT_LABEL
from ..thanos_query import REPLICA_LABELS

PROMETHEUS_CR = f"{naming.FULLNAME}-prometheus"
"""The Prometheus resource the chart creates (``<fullname>-prometheus``), as the operator names it."""

TOLERANCE = 0.1
"""Largest relative difference between two answers for the same instant. Shards and the
unsharded server scrape each simulator at different moments (later under load), and ``rate()``
extrapolates; what sharding gets wrong is off by far more (a shard alone answers about
1/shards of a sum, an undeduplicated replica doubles it)."""


def shard_relabelings(shard: int, shards: int) -> list[dict[str, Any]]:
    """What the Prometheus Operator appends to every scrape job of shard ``shard`` (its
    ``$(SHARD)`` substituted), additional scrape configs included."""
    return [
        {"source_labels": ["__address__", "__tmp_hash"], "target_label": "__tmp_hash", "regex": "(.+);", "replacement": "$1", "action": "replace"},
        {"source_labels": ["__tmp_hash"], "target_label": "__tmp_hash", "modulus": shards, "action": "hashmod"},
        {"source_labels": ["__tmp_hash", "__tmp_disable_sharding"], "regex": f"{shard};|.+;.+", "action": "keep"},
    ]


def pod_name(shard: int, replica: int) -> str:
    """The operator's pod name for a shard's replica (shard 0 has no shard infix)."""
    return f"prometheus-{PROMETHEUS_CR}-{replica}" if shard == 0 else f"prometheus-{PROMETHEUS_CR}-shard-{shard}-{replica}"


def placed(files: dict[str, str]) -> dict[str, bool]:
    """Rendered rule file -> whether its PrometheusRule is labelled for the global view."""
    out = {}
    for rel, text in files.items():
        if rel.startswith("kubernetes/") and "/prometheusrule-" in rel:
            obj = yaml.safe_load(text)
            name = obj["metadata"]["name"]
            out[f"prometheus/rules/{name}.yaml"] = (obj["metadata"].get("labels") or {}).get(PLACEMENT_LABEL) == "global"
    return out


@dataclass
class Topology:
    shards: int
    replicas: int
    external_labels: dict[str, str]
    ruler_labels: dict[str, str]
    processes: dict[str, str] = field(default_factory=dict)
    """What runs, by role (for the report)."""
    servers: dict[tuple[int, int], int] = field(default_factory=dict)
    """(shard, replica) -> the web port of that Prometheus."""


def external_labels(values: dict[str, Any]) -> dict[str, str]:
    return dict(((values.get("prometheus") or {}).get("prometheusSpec") or {}).get("externalLabels") or {})


def ruler_labels(values: dict[str, Any]) -> dict[str, str]:
    return dict(((values.get("thanosRuler") or {}).get("thanosRulerSpec") or {}).get("labels") or {})


BUILD_PID = tools.ROOT / ".tools" / "thanos" / "build.pid"
"""Written by ``scripts/ensure-thanos.sh --background`` while it builds."""


def wait_for_thanos(progress: Callable[[str], None], timeout: float = 1200) -> tools.Tool:
    """The thanos binary; while a background build of it runs, wait for that build."""
    deadline = time.monotonic() + timeout
    said = False
    linked = tools.ALSO_IN["thanos"] / "thanos"
    while tools.find("thanos").path is None and not linked.exists() and BUILD_PID.is_file() and time.monotonic() < deadline:
        try:
            os.kill(int(BUILD_PID.read_text().strip() or 0), 0)
        except (ValueError, OSError):
            break  # the build ended without a binary (its log says why)
        if not said:
            progress("waiting for the thanos build (scripts/ensure-thanos.sh, log: .tools/thanos/build.log)")
            said = True
        time.sleep(2)
    if said:
        tools.find.cache_clear()  # looked up before the build linked it
    return tools.find("thanos")


def start(config: dict[str, Any], local_rules: list[str], global_rules: list[str], topo: Topology, tmp: Path,
          spawn: Callable[[list[str], str], subprocess.Popen], port: Callable[[], int], ready: Callable[[int], None],
          progress: Callable[[str], None] = print) -> tuple[int, int]:
    """Start shards × replicas Prometheus servers, then a Thanos sidecar on each (a sidecar
    waits long between retries when its Prometheus is not up yet), Thanos Ruler and Thanos
    Query. Returns (Query's HTTP port, the store endpoints it must reach)."""
    prometheus, thanos = tools.find("prometheus"), wait_for_thanos(progress)
    if thanos.path is None:
        raise RuntimeError("the thanos binary was not found: a stack with prometheus.globalView: thanos is verified on real "
                           "Thanos sidecars, Ruler and Query (run `make setup-tools`, which builds it from tools/thanos)")
    servers: list[tuple[str, int]] = []
    for s in range(topo.shards):
        for r in range(topo.replicas):
            name = pod_name(s, r)
            cfg = dict(config)
            cfg["global"] = dict(config["global"], external_labels={**topo.external_labels, "prometheus": f"monitoring/{PROMETHEUS_CR}",
                                                                      "prometheus_replica": name})
            cfg["rule_files"] = local_rules
            cfg["scrape_configs"] = [dict(j, relabel_configs=list(j.get("relabel_configs") or []) + shard_relabelings(s, topo.shards))
                                     for j in config["scrape_configs"]]
            (tmp / name).mkdir()
            (tmp / name / "prometheus.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
            web = port()
            spawn([prometheus.path, f"--config.file={tmp / name / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / name / 'tsdb'}",
                   f"--web.listen-address=127.0.0.1:{web}", "--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h",
                   "--log.level=warn"], name)
            servers.append((name, web))
            topo.servers[(s, r)] = web
    grpc: list[int] = []
    for name, web in servers:
        ready(web)
        g, h = port(), port()
        spawn([thanos.path, "sidecar", f"--prometheus.url=http://127.0.0.1:{web}", f"--tsdb.path={tmp / name / 'tsdb'}",
               f"--grpc-address=127.0.0.1:{g}", f"--http-address=127.0.0.1:{h}", "--log.level=warn"], f"{name}-sidecar")
        grpc.append(g)
    topo.processes["prometheus"] = f"{topo.shards} shards × {topo.replicas} replicas of {prometheus.describe()} with thanos sidecars"
    qhttp, qgrpc = port(), port()
    if global_rules:
        rhttp, rgrpc = port(), port()
        (tmp / "ruler").mkdir()
        labels = [f'--label={k}="{v}"' for k, v in {**topo.ruler_labels, "thanos_ruler_replica": "thanos-ruler-0"}.items()]
        spawn([thanos.path, "rule", f"--data-dir={tmp / 'ruler'}", *[f"--rule-file={f}" for f in global_rules],
               f"--query=http://127.0.0.1:{qhttp}", f"--eval-interval={config['global']['evaluation_interval']}",
               f"--http-address=127.0.0.1:{rhttp}", f"--grpc-address=127.0.0.1:{rgrpc}", *labels, "--log.level=warn"], "thanos-ruler")
        grpc.append(rgrpc)
        topo.processes["ruler"] = f"thanos rule on {len(global_rules)} global rule files"
    spawn([thanos.path, "query", f"--http-address=127.0.0.1:{qhttp}", f"--grpc-address=127.0.0.1:{qgrpc}",
           *[f"--query.replica-label={label}" for label in REPLICA_LABELS], *[f"--endpoint=127.0.0.1:{g}" for g in grpc],
           "--log.level=warn"], "thanos-query")
    topo.processes["query"] = f"{thanos.describe()} query over {len(grpc)} store endpoints"
    return qhttp, len(grpc)


def ignored_labels(topo: Topology) -> frozenset[str]:
    """The external labels: Thanos Query shows them on every series (a single Prometheus keeps
    them for federation, remote write and alerts), so the comparison leaves them out."""
    return frozenset({"prometheus", *topo.external_labels, *topo.ruler_labels})


def _series(result: list[dict[str, Any]], ignored: frozenset[str]) -> dict[tuple, float]:
    out: dict[tuple, float] = {}
    for r in result:
        key = tuple(sorted((k, v) for k, v in r["metric"].items() if k not in ignored))
        value = r.get("value", [0, "NaN"])[1]
        out[key] = float(value)
    return out


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b)) + 1e-9


def differences(label: str, global_result: list, reference_result: list, ignored: frozenset[str]) -> list[str]:
    """How one query's answer through the global view differs from the unsharded server's."""
    g, r = _series(global_result, ignored), _series(reference_result, ignored)
    if len(global_result) != len(g):
        return [f"{label}: {len(global_result) - len(g)} series answered twice"]
    out = []
    missing, extra = sorted(set(r) - set(g)), sorted(set(g) - set(r))
    if missing:
        out.append(f"{label}: {len(missing)} series missing through the global view, e.g. {dict(missing[0])}")
    if extra:
        out.append(f"{label}: {len(extra)} series only through the global view, e.g. {dict(extra[0])}")
    wrong = [(k, g[k], r[k]) for k in set(g) & set(r) if not _close(g[k], r[k])]
    if wrong:
        k, a, b = sorted(wrong)[0]
        out.append(f"{label}: {len(wrong)} values differ by more than {TOLERANCE:.0%}, e.g. {dict(k)}: {a:g} through the global view, {b:g} unsharded")
    return out


def split_problems(topo: Topology, targets_of: Callable[[int], set[str]]) -> tuple[list[str], list[int]]:
    """Whether the shards partition the targets as the operator means them to: the replicas of a
    shard scrape the same targets, no target is scraped by two shards, every shard has some.
    Returns (problems, targets per shard)."""
    problems: list[str] = []
    by_shard: list[set[str]] = []
    for s in range(topo.shards):
        sets = [targets_of(topo.servers[(s, r)]) for r in range(topo.replicas)]
        if any(x != sets[0] for x in sets):
            problems.append(f"the replicas of shard {s} scrape different targets")
        by_shard.append(sets[0])
    for a in range(topo.shards):
        for b in range(a + 1, topo.shards):
            both = by_shard[a] & by_shard[b]
            if both:
                problems.append(f"shards {a} and {b} both scrape {sorted(both)[0]} (and {len(both) - 1} more)")
    problems += [f"shard {s} scrapes no target" for s, t in enumerate(by_shard) if not t]
    return problems, [len(t) for t in by_shard]
