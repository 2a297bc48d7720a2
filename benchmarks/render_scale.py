"""How render cost grows with fleet size. Prints figures; asserts nothing (not a test).

    make bench            # or: .venv/bin/python benchmarks/render_scale.py

Each size runs in its own process so peak memory is that size's alone. A synthetic stack
has N inference services (a mix of kinds, in-cluster and static), P GPU pools and
max(1, N/50) Databricks endpoint groups; the full render path runs: config validation,
the program under the mock engine, files in memory and every validation. Peak memory is the
render process'; a stack of 400 resources or more also has its worker process (see
components/render/worker.py), whose own peak is printed beside it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from components import cli  # noqa: E402
from components.render import parallel, worker  # noqa: E402
from components.render.stackfile import available_stacks  # noqa: E402

SIZES = [(100, 10), (400, 24), (1000, 50)]
"""(services, GPU pools); each size renders with Datadog off, then on (its monitors, metrics.keep: used)."""
STACKS = ["dev", "prod"]
"""The repository's own stacks, rendered as ``infermon render`` renders them."""
KINDS = ["triton", "vllm", "sglang", "mlserver"]
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
"""Each row is the fastest of this many runs: on a shared 2-core VM one run can be a third slower than
the next, and the fastest is the best estimate of what the render itself costs."""


def fleet(services: int, pools: int, datadog: bool = False) -> dict:
    inference = []
    for i in range(services):
        kind = KINDS[i % len(KINDS)]
        if i % 5 == 0:
            inference.append({"name": f"svc-{i}", "kind": kind, "staticTargets": [f"svc-{i}.serving.svc.cluster.local:8002"]})
        else:
            inference.append({"name": f"svc-{i}", "kind": kind, "namespace": f"serving-{i % 20}" if datadog else "serving",
                              "selector": {"app": f"svc-{i}"}})
    gpu_pools = [{"name": f"pool-{p}", "nodeSelector": {"pool": f"pool-{p}"}, "profiling": p % 3 == 0,
                  "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]} for p in range(pools)]
    groups = max(1, services // 50)
    endpoints = [{"name": f"dbx-{g}", "kind": "databricks", "host": "adb-1.2.azuredatabricks.net",
                  "endpoints": [f"ep-{g}-a", f"ep-{g}-b"], "tokenSecret": f"dbxToken{g}"} for g in range(groups)]
    secrets = {f"dbxToken{g}": "bench-token" for g in range(groups)}
    config = {"cluster": {"name": "bench"}, "inference": inference, "gpuPools": gpu_pools, "endpoints": endpoints}
    if datadog:
        config["datadog"] = {"enabled": True, "agent": "deploy", "apiKeySecret": "ddApi", "appKeySecret": "ddApp"}
        config["metrics"] = {"keep": "used"}
        secrets.update({"ddApi": "bench-api-key", "ddApp": "bench-app-key"})
    return config, secrets


def one(services: int, pools: int, datadog: bool = False) -> dict:
    from conftest import render_config

    config, secrets = fleet(services, pools, datadog)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        r = render_config(Path(tmp), config, secrets=secrets, stack="bench")
        wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"services": services, "pools": pools, "datadog": datadog, "endpoints": len(config["endpoints"]),
            "resources": len(r.run.registrations) + 1, "files": len(r.files), "wall_s": round(wall, 2),
            "peak_rss_mib": round(peak_mib, 1), "worker_mib": round(worker.PEAK_MIB, 1), "valid": r.ok}


def one_stack(stack: str) -> dict:
    from components.render import render

    start = time.perf_counter()
    r = render.build(stack)
    wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cfg = r.loaded.config
    return {"services": f"{stack}", "pools": len(cfg.gpu_pools), "datadog": cfg.datadog.enabled, "endpoints": len(cfg.endpoints),
            "resources": len(r.run.registrations) + 1, "files": len(r.files), "wall_s": round(wall, 2),
            "peak_rss_mib": round(peak_mib, 1), "worker_mib": round(worker.PEAK_MIB, 1), "valid": r.ok}


def _process(args: list[str]) -> tuple[dict, float]:
    """A row measured in its own process, and that process' wall time (imports included)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def import_unit() -> float:
    """``python -c "import pulumi, pulumi_kubernetes"``: the floor every Pulumi program pays (best of 3)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import pulumi, pulumi_kubernetes"], check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def stacks_all(command: str, jobs: str) -> float:
    """``infermon COMMAND --stack all --jobs JOBS`` on the repository's stacks: wall seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        out = ["--out", tmp] if command == "render" else []
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "components", command, "--stack", "all", "--jobs", jobs, *out],
                       cwd=ROOT, capture_output=True, check=True)
        return time.perf_counter() - start


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "datadog")))
        cli.exit_now(0)  # the row's process ends as `infermon render` ends
    if len(sys.argv) == 3 and sys.argv[1] == "--stack":
        print(json.dumps(one_stack(sys.argv[2])))
        cli.exit_now(0)
    unit = import_unit()
    runs = [["--stack", stack] for stack in STACKS]
    runs += [["--one", str(n), str(p), dd] for n, p in SIZES for dd in ("-", "datadog")]
    rows = []
    for args in runs:
        rows.append(min((_process(args) for _ in range(REPEAT)), key=lambda rp: rp[1]))
    unit = min(unit, import_unit())  # the floor, measured again after the rows
    print(f"import unit (python -c 'import pulumi, pulumi_kubernetes'): {unit:.2f} s; each row the fastest of {REPEAT} runs")
    print(f"{'fleet':>8} {'pools':>5} {'datadog':>7} {'endpoints':>9} {'resources':>9} {'files':>6} {'render s':>8} {'process s':>9} "
          f"{'× unit':>6} {'peak RSS MiB':>12} {'worker MiB':>10} valid")
    for row, process in rows:
        print(f"{row['services']:>8} {row['pools']:>5} {str(row['datadog']):>7} {row['endpoints']:>9} {row['resources']:>9} {row['files']:>6} "
              f"{row['wall_s']:>8} {process:>9.2f} {process / unit:>6.1f} {row['peak_rss_mib']:>12} {row['worker_mib'] or '-':>10} {row['valid']}")
    cores = parallel.cores()
    print(f"\n--stack all ({', '.join(available_stacks())}), each the fastest of {REPEAT} runs:")
    for command in ("render", "check"):
        serial = min(stacks_all(command, "1") for _ in range(REPEAT))
        many = min(stacks_all(command, str(cores)) for _ in range(REPEAT))
        print(f"  infermon {command}: {serial:.2f} s one stack after another (--jobs 1), {many:.2f} s in up to {cores} processes "
              f"(the default)")


if __name__ == "__main__":
    main()
