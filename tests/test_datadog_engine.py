"""Every Datadog monitor gets data: the rendered checks run through the Agent's real check engine
(``datadog-checks-base``'s OpenMetricsBaseCheckV2) against the simulators, and each monitor is
judged against what that engine submitted. Each break-on-purpose case shows the judge can fail."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml
from conftest import rendered_stack

from components.datadog import engine
from components.datadog.forms import form_problems
from components.verify.datadog import check_monitors, problems


@pytest.fixture(scope="module")
def prod_result():
    return check_monitors(rendered_stack("prod"))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_monitor_is_fed_by_the_agents_engine(stack, prod_result):
    r = prod_result if stack == "prod" else check_monitors(rendered_stack(stack))
    assert not r.unfed, r.unfed
    assert r.total == len(json.loads(rendered_stack(stack).files["datadog/monitors.json"])) > 0
    assert not [run for run in r.runs if run.submitted.error]


def test_the_hard_cases_are_fed(prod_result):
    """A prefixed MLServer, vLLM on either naming, an Arks runtime on SGLang, a GPU-Operator pool."""
    labels = {(run.service, run.label) for run in prod_result.runs}
    assert {("diffusion-managed", "mlserver"), ("chat-vllm", "vllm new naming"), ("chat-vllm", "vllm old naming"),
            ("arks-runtimes", "arks on sglang")} <= labels
    operator = [run for run in prod_result.runs if run.kind == "dcgm" and run.delivery == "endpoints"]
    assert operator and "dcgm.temperature" in operator[0].submitted.types
    fed = set(prod_result.fed)
    assert {"[prod] MLServerHighInferenceLatency diffusion-managed", "[prod] LLMKVCacheNearFull chat-vllm",
            "[prod] LLMKVCacheNearFull arks-runtimes", "[prod] GPUTemperatureHigh"} <= fed


def _with(rendered, files: dict[str, str]):
    return dataclasses.replace(rendered, files={**rendered.files, **files})


def _edit_monitor(rendered, name: str, edit):
    mons = json.loads(rendered.files["datadog/monitors.json"])
    for m in mons:
        if m["name"] == name:
            m["query"] = edit(m["query"])
    return _with(rendered, {"datadog/monitors.json": json.dumps(mons)})


BROKEN = [
    # (monitor, how the query is broken, what the judge must say)
    ("[prod] LLMRequestsWaiting chat-vllm", ("vllm.num_requests.waiting", "vllm.num_requests_waiting"),
     "vllm.num_requests_waiting is never submitted"),
    ("[prod] LLMRequestsWaiting chat-vllm", ("sum:vllm.num_requests.waiting", "p95:vllm.num_requests.waiting"), "not a distribution"),
    ("[prod] LLMPreemptions chat-vllm", ("avg(last_10m)", "sum(last_10m)"), "as_rate() adds per-second rates"),
    ("[prod] LLMKVCacheNearFull chat-vllm", (",endpoint}", ",pod_name}"), "no pod_name tag to group by"),
    ("[prod] InfermonTargetDown chat-vllm", ('"vllm.openmetrics.health"', '"vllm.can_connect"'), "service check vllm.can_connect is never sent"),
]


@pytest.mark.parametrize("name,edit,says", BROKEN, ids=["wrong-name", "percentile-on-gauge", "sum-over-as_rate", "missing-tag", "service-check"])
def test_a_broken_monitor_is_not_fed(name, edit, says):
    prod = rendered_stack("prod")
    old, new = edit
    assert old in next(m["query"] for m in json.loads(prod.files["datadog/monitors.json"]) if m["name"] == name)
    r = check_monitors(_edit_monitor(prod, name, lambda q: q.replace(old, new)))
    assert any(says in w for w in r.unfed[name]), r.unfed.get(name)


def test_histograms_without_distributions_starve_percentile_monitors():
    prod = rendered_stack("prod")
    path = "datadog/checks/vllm.d/infermon-chat-vllm.yaml"
    conf = yaml.safe_load(prod.files[path])
    for key in ("histogram_buckets_as_distributions", "collect_counters_with_distributions"):  # either one makes distributions
        conf["instances"][0][key] = False
    r = check_monitors(_with(prod, {path: yaml.safe_dump(conf)}))
    assert "[prod] LLMHighE2ELatency chat-vllm" in r.unfed


def test_a_plain_endpoints_identifier_is_never_scheduled():
    prod = rendered_stack("prod")
    path = "datadog/checks/vllm.d/infermon-chat-vllm.yaml"
    assert form_problems(prod.files) == []
    conf = yaml.safe_load(prod.files[path])
    del conf["advanced_ad_identifiers"]
    conf["ad_identifiers"] = ["kube_endpoints://llm/chat-vllm"]
    found = form_problems({**prod.files, path: yaml.safe_dump(conf)})
    assert len(found) == 1 and "never produced by the Agent" in found[0]


def test_the_engine_is_the_real_one():
    """The judge reads what OpenMetricsBaseCheckV2 submitted, not infermon's tables: a counter listed
    with its _total matches nothing in the real engine."""
    from components.verify import simulators
    from components.verify.datadog import _serve

    server = _serve(simulators.Target(name="m", kind="mlserver", port=0))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        good = engine.run("openmetrics", {"openmetrics_endpoint": url, "namespace": "m", "metrics": ["model_infer_request_success"]})
        bad = engine.run("openmetrics", {"openmetrics_endpoint": url, "namespace": "m", "metrics": ["model_infer_request_success_total"]})
    finally:
        server.shutdown()
    assert good.types == {"m.model_infer_request_success.count": {"monotonic_count"}}
    assert bad.types == {}
    assert good.service_checks == {"m.openmetrics.health": 0}


def test_problems_reads_time_aggregation_and_tags():
    sub = engine.Submitted(types={"x.a.count": {"monotonic_count"}}, tags={"x.a.count": {"service", "env"}})
    assert problems("avg(last_5m):sum:x.a.count{env:prod} by {service}.as_rate() > 1", sub, "static") == []
    assert problems("sum(last_5m):sum:x.a.count{env:prod} by {host}.as_count() > 1", sub, "static") == ["x.a.count has no host tag to group by"]
    assert problems("sum(last_5m):sum:x.a.count{env:prod} by {host}.as_count() > 1", sub, "pod") == []  # the node Agent adds host
