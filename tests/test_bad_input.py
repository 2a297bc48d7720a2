"""Bad input of every field type is rejected with path, value and what is allowed; reasonable
input is accepted; a value given where a secret's name belongs is never echoed."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import MINIMAL, ROOT, write_stack

from components.config import ConfigError, parse
from components.render import stackfile

POOL = {"name": "h100", "nodeSelector": {"gpu": "h100"}}
TRITON = {"name": "t", "kind": "triton", "staticTargets": ["t:8002"]}
VLLM = {"name": "v", "kind": "vllm", "staticTargets": ["v:8000"]}
DBX = {"name": "d", "kind": "databricks", "host": "adb-1.azuredatabricks.net", "endpoints": ["e1"], "tokenSecret": "tok"}
RW = {"name": "m", "url": "https://m/push"}
SECRET = {"tok": "x"}


def issues(raw, secrets=None) -> list[str]:
    secrets = SECRET if secrets is None else secrets
    with pytest.raises(ConfigError) as exc:
        parse({**raw, **secrets}, list(secrets), "test")
    return [str(i) for i in exc.value.issues]


def cfg(**kw):
    return {**MINIMAL, **kw}


# (field type, config, path, what the message must say)
BAD = [
    ("name", cfg(inference=[{**TRITON, "name": "Triton_A"}]), "inference[0].name", "valid Kubernetes name"),
    ("string (label value)", cfg(inference=[{**TRITON, "team": "ml platform"}]), "inference[0].team", "Kubernetes label value"),
    ("duration: no unit", cfg(prometheus={"scrapeInterval": 30}), "prometheus.scrapeInterval", "30s"),
    ("duration: words", cfg(prometheus={"retention": "15 days"}), "prometheus.retention", "Prometheus duration such as"),
    ("duration: units out of order", cfg(prometheus={"retention": "5s1m"}), "prometheus.retention", "largest first"),
    ("duration: zero", cfg(prometheus={"scrapeInterval": "0s"}), "prometheus.scrapeInterval", "must be positive"),
    ("duration: past staleness", cfg(prometheus={"scrapeInterval": "10m"}), "prometheus.scrapeInterval", "at most 5m"),
    ("duration: service interval", cfg(inference=[{**TRITON, "interval": "6m"}]), "inference[0].interval", "at most 5m"),
    ("duration: retention below a block", cfg(prometheus={"retention": "30m"}), "prometheus.retention", "at least 2h"),
    ("duration: retention zero", cfg(prometheus={"retention": "0d"}), "prometheus.retention", "must be positive"),
    ("number: text", cfg(alerts={"thresholds": {"GPUTemperatureHigh": "hot"}}), "alerts.thresholds.GPUTemperatureHigh", "'hot' is not a number"),
    ("number: NaN", cfg(alerts={"thresholds": {"GPUTemperatureHigh": float("nan")}}), "alerts.thresholds.GPUTemperatureHigh", "finite number"),
    ("number: infinity", cfg(alerts={"thresholds": {"GPUTemperatureHigh": float("inf")}}), "alerts.thresholds.GPUTemperatureHigh", "finite number"),
    ("number: negative latency", cfg(inference=[{**VLLM, "alerts": {"LLMHighTimeToFirstToken": -1}}]),
     "inference[0].alerts.LLMHighTimeToFirstToken", "above 0"),
    ("number: zero latency", cfg(alerts={"thresholds": {"LLMHighE2ELatency": 0}}), "alerts.thresholds.LLMHighE2ELatency", "above 0"),
    ("number: negative count", cfg(alerts={"thresholds": {"LLMRequestsWaiting": -5}}), "alerts.thresholds.LLMRequestsWaiting", "0 or more"),
    ("ratio as a percentage", cfg(alerts={"thresholds": {"LLMKVCacheNearFull": 95}}), "alerts.thresholds.LLMKVCacheNearFull", "write 0.95, not 95"),
    ("shards without a global view", cfg(prometheus={"shards": 3}), "prometheus.shards",
     "3 needs a global view (prometheus.globalView is none): the operator splits the targets across 3 Prometheus servers"),
    ("query replicas without a global view", cfg(prometheus={"queryReplicas": 3}), "prometheus.queryReplicas", "only with prometheus.globalView: thanos"),
    ("unknown global view", cfg(prometheus={"globalView": "mimir"}), "prometheus.globalView", "'mimir' is not one of none, thanos"),
    ("temperature off by a digit", cfg(alerts={"thresholds": {"GPUTemperatureHigh": 830}}), "alerts.thresholds.GPUTemperatureHigh",
     "830 is out of range for GPUTemperatureHigh: the threshold is a temperature in °C from 0 to 120"),
    ("ratio above 1", cfg(endpoints=[{**DBX, "kind": "prometheus", "endpoints": [], "tokenSecret": None, "alerts": {}}],
                          alerts={"thresholds": {"MLServerLowSuccessRatio": 1.5}}), "alerts.thresholds.MLServerLowSuccessRatio", "ratio from 0 to 1"),
    ("percentage above 100", cfg(alerts={"thresholds": {"GPUAllocatedButIdle": 150}}), "alerts.thresholds.GPUAllocatedButIdle", "0 to 100"),
    ("whole number", cfg(prometheus={"replicas": "two"}), "prometheus.replicas", "whole number"),
    ("number: infinite SLO latency", cfg(inference=[{**VLLM, "slo": {"latency": {"threshold": float("inf"), "objective": 0.99}}}]),
     "inference[0].slo.latency.threshold", "finite number"),
    ("port: zero", cfg(inference=[{**TRITON, "staticTargets": [], "selector": {"a": "b"}, "namespace": "n", "port": 0}]),
     "inference[0].port", "a number from 1 to 65535, or the name"),
    ("enum", cfg(inference=[{**TRITON, "kind": "tgi"}]), "inference[0].kind", "is not one of triton, vllm"),
    ("enum: unquoted version", cfg(cluster={"name": "c1", "kubernetesVersion": 1.3}), "cluster.kubernetesVersion", 'quote the version, e.g. "1.30"'),
    ("URL", cfg(prometheus={"remoteWrite": [{**RW, "url": "mimir:9009/push"}]}), "prometheus.remoteWrite[0].url", "http:// or https:// URL"),
    ("selector key", cfg(inference=[{**TRITON, "staticTargets": [], "namespace": "n", "selector": {"bad key!": "x"}}]),
     "inference[0].selector", "not a valid Kubernetes label key"),
    ("matcher label name", cfg(alertmanager={"receivers": [{"name": "r", "type": "webhook", "secret": "tok"}],
                                             "routes": [{"receiver": "r", "matchers": {"team name": "llm"}}]}),
     'alertmanager.routes[0].matchers["team name"]', "Prometheus label name"),
    ("latency SLO off the buckets", cfg(inference=[{**VLLM, "slo": {"latency": {"threshold": 3, "objective": 0.99}}}]),
     "inference[0].slo.latency.threshold", "3 is not a bucket boundary of vllm:e2e_request_latency_seconds"),
    ("latency SLO of an Arks runtime", cfg(inference=[{"name": "a", "kind": "arks-runtime", "staticTargets": ["a:8080"],
                                                       "slo": {"latency": {"threshold": 5, "objective": 0.99}}}]),
     "inference[0].slo.latency.threshold", "use one of 0.8, 1, 2, 10, 20, 40, 60"),
    ("quantile threshold past the buckets", cfg(inference=[{"name": "s", "kind": "sglang", "staticTargets": ["s:30000"],
                                                            "alerts": {"LLMHighE2ELatency": 3000}}]),
     "inference[0].alerts.LLMHighE2ELatency", "highest finite bucket, 2400"),
    ("watchdog receiver", cfg(alertmanager={"receivers": [{"name": "r", "type": "webhook", "secret": "tok"}], "watchdogReceiver": "snitch"}),
     "alertmanager.watchdogReceiver", "is not one of the receivers (r)"),
    ("receiver named null", cfg(alertmanager={"receivers": [{"name": "null", "type": "webhook", "secret": "tok"}]}),
     "alertmanager.receivers[0].name", "'null' is reserved"),
    ("image", cfg(gpuPools=[{**POOL, "image": "nvcr.io/nvidia/k8s/dcgm-exporter:bad tag"}]), "gpuPools[0].image", "container image reference such as"),
    ("host:port without port", cfg(inference=[{**TRITON, "staticTargets": ["triton"]}]), "inference[0].staticTargets[0]", "host:port target"),
    ("host:port out of range", cfg(inference=[{**TRITON, "staticTargets": ["triton:70000"]}]), "inference[0].staticTargets[0]", "port 1-65535"),
    ("databricks endpoint name", cfg(endpoints=[{**DBX, "endpoints": ["churn model"]}]), "endpoints[0].endpoints[0]", "Databricks serving endpoint name"),
    ("credential header", cfg(prometheus={"remoteWrite": [{**RW, "headers": {"X-Api-Token": "sk-live-CANARY"}}]}),
     "prometheus.remoteWrite[0].headers.X-Api-Token", "use bearerTokenSecret or basicAuth"),
]


@pytest.mark.parametrize("raw,path,allowed", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_value_names_path_and_what_is_allowed(raw, path, allowed):
    found = issues(raw)
    mine = [i for i in found if i.startswith(path + ": ")]
    assert mine, found
    assert any(allowed in i for i in mine), mine
    for text in found:  # no raw validator text reaches the user
        assert "Input should" not in text and "validation error" not in text and not re.search(r"\^.*\$", text), text


GOOD = [
    ("databricks names with '_' and capitals", cfg(endpoints=[{**DBX, "endpoints": ["item_ranker", "Churn-Model-v2"]}])),
    ("image from a registry with a port", cfg(gpuPools=[{**POOL, "image": "registry.internal:5000/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless"}])),
    ("image by digest", cfg(gpuPools=[{**POOL, "image": "nvcr.io/nvidia/k8s/dcgm-exporter@sha256:" + "a" * 64}])),
    ("IPv6 static target", cfg(inference=[{**TRITON, "staticTargets": ["[fd00:10:20::40]:8002"]}])),
    ("matcher value with quotes", cfg(alertmanager={"receivers": [{"name": "r", "type": "webhook", "secret": "tok"}],
                                                    "routes": [{"receiver": "r", "matchers": {"team": 'llm"'}}]})),
    ("tenant header", cfg(prometheus={"remoteWrite": [{**RW, "headers": {"X-Scope-OrgID": "prod"}}]})),
    ("compound duration", cfg(prometheus={"retention": "1w2d", "scrapeInterval": "1m30s"})),
    ("shards behind thanos", cfg(prometheus={"shards": 4, "replicas": 2, "globalView": "thanos", "queryReplicas": 3})),
]


@pytest.mark.parametrize("raw", [c[1] for c in GOOD], ids=[c[0] for c in GOOD])
def test_reasonable_value_is_accepted(raw):
    secrets = dict(SECRET) if "tok" in str(raw) else {}
    parse({**raw, **secrets}, list(secrets), "test")


PASTED = "dapi0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("raw", [
    cfg(endpoints=[{**DBX, "tokenSecret": PASTED}]),                               # a valid-looking name that is not set
    cfg(endpoints=[{**DBX, "tokenSecret": "https://hooks.example/" + PASTED}]),    # not a key name at all
    cfg(alertmanager={"receivers": [{"name": "r", "type": "slack", "secret": "xoxb-" + PASTED}]}),
], ids=["unset name", "not a name", "receiver secret"])
def test_a_value_given_as_a_secret_name_is_never_echoed(raw):
    found = issues(raw, secrets={})
    assert found and not any(PASTED in i for i in found), found


def test_unset_secret_still_gets_a_did_you_mean_from_the_stack_keys():
    found = issues(cfg(endpoints=[{**DBX, "tokenSecret": "databricksTokn"}]), secrets={"databricksToken": "x"})
    assert any("did you mean 'databricksToken'" in i for i in found), found
    assert not any("databricksTokn" in i for i in found), found


# --- the stack file itself -------------------------------------------------------------------------


def test_a_key_given_twice_names_both_lines():
    with pytest.raises(stackfile.StackFileError, match=r"f:4:3: key 'retention' is given twice in one mapping \(first at line 3\)"):
        stackfile.load_yaml("prometheus:\n  replicas: 1\n  retention: 30d\n  retention: 45d\n", "f")


def test_an_unclosed_quote_is_a_syntax_error_with_line_and_column():
    text = 'r:\n  - name: a\n    channel: "#llm\n  - name: b\n    channel: "#ml"\n'
    with pytest.raises(stackfile.StackFileError, match=r"f:3:14: this \"-quoted string runs on to line 5 .* closing \" missing"):
        stackfile.load_yaml(text, "f")


def test_a_yaml_syntax_error_names_line_and_column():
    with pytest.raises(stackfile.StackFileError, match=r"f:2:\d+: not valid YAML"):
        stackfile.load_yaml("a: [1, 2\nb: 3\n", "f")


# --- the command line ------------------------------------------------------------------------------


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "components", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("out", ["/dev/null/x", "/proc/x"])
def test_unwritable_out_is_one_line_and_exit_2(out):
    proc = run_cli("render", "--stack", "dev", "--out", out)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and f"{out}" in proc.stderr
    assert len([l for l in proc.stderr.splitlines() if l.startswith("error:")]) == 1


def test_bad_flag_exits_2_without_traceback():
    proc = run_cli("render", "--stak", "dev")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "unrecognized arguments" in proc.stderr


def test_failed_validation_writes_nothing(tmp_path, monkeypatch, capsys):
    from components import cli
    from components.render import validate

    monkeypatch.setattr(validate, "check_dashboards", lambda files: validate.CheckResult("dashboards", False, "broken on purpose", ["x"]))
    write_stack(tmp_path, "s", MINIMAL)
    out = tmp_path / "out"
    assert cli.main(["render", "--stack", "s", "--out", str(out), "--project-dir", str(tmp_path)]) == 1
    assert not out.exists()
    assert "nothing was written" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["render", "check", "verify"])
def test_no_command_echoes_a_value_pasted_where_a_secret_name_belongs(tmp_path, command):
    canaries = {"tok": "dapi-CANARY-0f9e8d7c6b5a49382716", "hook": "https://hooks.slack.com/services/T0/B0/CANARY-xyz",
                "grafana": "CANARY-grafana-pass-1234567890"}
    write_stack(tmp_path, "s", cfg(endpoints=[{**DBX, "tokenSecret": canaries["tok"]}],
                                   alertmanager={"receivers": [{"name": "r", "type": "slack", "secret": canaries["hook"]}]},
                                   grafana={"adminPasswordSecret": canaries["grafana"]}))
    proc = run_cli(command, "--stack", "s", "--project-dir", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "alertmanager.receivers[0].secret" in proc.stderr and "Traceback" not in proc.stderr
    for value in canaries.values():
        assert value not in proc.stdout + proc.stderr


# --- every field of the model, generated -------------------------------------------------------------


def _leaf_fields():
    """(path, config holding a wrong value at that path) for every leaf field of the model."""
    import typing

    from pydantic import BaseModel

    from components.config import model as m
    from components.config.load import _unwrap

    out = []

    def visit(cls, path, wrap):
        for name, f in cls.model_fields.items():
            alias = f.alias or name
            tp = _unwrap(f.annotation)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                visit(tp, f"{path}.{alias}" if path else alias, lambda v, a=alias, w=wrap: w({a: v}))
            elif typing.get_origin(tp) is list and isinstance(_unwrap(typing.get_args(tp)[0]), type) \
                    and issubclass(_unwrap(typing.get_args(tp)[0]), BaseModel):
                visit(_unwrap(typing.get_args(tp)[0]), f"{path}.{alias}[0]" if path else f"{alias}[0]", lambda v, a=alias, w=wrap: w({a: [v]}))
            else:
                out.append((f"{path}.{alias}" if path else alias, wrap({alias: [[]]})))

    visit(m.InfermonConfig, "", lambda v: v)
    return out


LEAVES = _leaf_fields()


def test_the_generated_table_covers_the_model():
    assert len(LEAVES) > 100
    assert {"prometheus.scrapeInterval", "inference[0].staticTargets", "endpoints[0].tokenSecret", "alertmanager.routes[0].matchers"} <= {p for p, _ in LEAVES}


@pytest.mark.parametrize("path,raw", LEAVES, ids=[p for p, _ in LEAVES])
def test_a_wrong_value_in_any_field_names_its_path_in_plain_words(path, raw):
    found = issues({"cluster": {"name": "c1"}, **raw} if "cluster" not in raw else raw, secrets={})
    mine = [i for i in found if i.startswith(path)]
    assert mine, found
    for text in mine:
        assert "Input should" not in text and "validation error" not in text and not re.search(r"\^.*\$", text), text
