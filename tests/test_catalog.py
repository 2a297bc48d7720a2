"""The signal catalog: every query parses, references only catalogued metrics, and respects
facts about the real servers."""

from __future__ import annotations

import re

import pytest

from components.catalog import KINDS, render_signal
from components.catalog.base import PROMETHEUS_SERIES, REF
from components.catalog.promql import metric_names
from components.gpu import dcgm_fields

SELECTOR = {"cluster": '=~"$cluster"', "service": '=~"$service"', "model": '=~"$model"', "model_name": '=~"$model"'}


ALL = [(k, s) for k in KINDS.values() for s in k.signals]


@pytest.mark.parametrize("kind,signal", ALL, ids=[f"{k.name}.{s.name}" for k, s in ALL])
def test_signal_parses_and_references_only_catalog_metrics(kind, signal):
    for expr in render_signal(kind, signal, SELECTOR):
        # besides its own metrics, a signal may read what Prometheus writes itself (up, ALERTS)
        assert metric_names(expr) - set(PROMETHEUS_SERIES) <= kind.series_names(), expr


def test_every_inference_kind_has_the_overview_signals():
    for name in ("triton", "vllm", "sglang", "arks-runtime", "arks-gateway", "mlserver", "databricks"):
        for sig in ("request_rate", "error_ratio", "latency", "saturation"):
            assert KINDS[name].signal(sig) is not None, (name, sig)


def _templates(kind):
    return [alt for s in kind.signals for alt in s.alternatives]


def test_triton_counters_have_no_total_suffix_and_failures_carry_a_reason():
    triton = KINDS["triton"]
    assert not any(m.name.endswith("_total") for m in triton.metrics)
    assert "reason" in triton.metric("nv_inference_request_failure").labels
    # per-request time divides the duration counter by successful requests, in seconds
    (queue,) = triton.signal("queue_time").alternatives
    assert "rate({{nv_inference_queue_duration_us}}" in queue and "rate({{nv_inference_request_success}}" in queue and queue.endswith("/ 1e6")


def test_databricks_per_minute_gauges_are_never_rated():
    for t in _templates(KINDS["databricks"]):
        assert "rate(" not in t and "increase(" not in t, t


def test_mlserver_percentiles_come_from_the_rest_histogram():
    ml = KINDS["mlserver"]
    assert next(m for m in ml.metrics if m.name == "model_infer_request_duration").type == "summary"
    for t in _templates(ml):
        assert "model_infer_request_duration_bucket" not in t
    assert "rest_server_request_duration_seconds_bucket" in ml.signal("request_latency_p95").alternatives[0]


@pytest.mark.parametrize("signal,old,new", [
    ("kv_cache_usage", "vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc"),
    ("prefix_cache_hit_rate", "vllm:gpu_prefix_cache_hits_total", "vllm:prefix_cache_hits_total"),
    ("itl_p95", "vllm:time_per_output_token_seconds_bucket", "vllm:inter_token_latency_seconds_bucket"),
])
def test_vllm_signals_query_both_naming_generations(signal, old, new):
    exprs = render_signal(KINDS["vllm"], KINDS["vllm"].signal(signal), {})
    names = set().union(*(metric_names(e) for e in exprs))
    assert {old, new} <= names


def test_sglang_uses_its_own_names():
    names = KINDS["sglang"].series_names()
    assert "sglang:num_running_reqs" in names and "sglang:num_queue_reqs" in names
    assert not any(n.startswith("vllm:") for n in names)


def test_arks_runtime_metrics_are_renamed_like_prometheus_stores_them():
    names = KINDS["arks-runtime"].series_names()
    assert "num_requests_running" in names and "num_requests_waiting" in names
    assert "num_running_reqs" not in names and not any(":" in n for n in names)
    assert "runtime" in KINDS["arks-runtime"].metric("num_requests_running").labels


def test_dcgm_catalog_is_the_collectors_table_and_never_uses_the_host_label():
    dcgm = KINDS["dcgm"]
    assert {m.name for m in dcgm.metrics} == {f.name for f in dcgm_fields.KNOWN.values() if f.type != "label"}
    for t in _templates(dcgm):
        assert not re.search(r"\b[Hh]ostname\b", t), t


def test_selector_only_applies_to_labels_a_metric_has():
    triton = KINDS["triton"]
    (gpu,) = render_signal(triton, triton.signal("gpu_utilization"), {"model": '=~"resnet"', "service": '="t"'})
    assert 'model=~"resnet"' not in gpu and 'service="t"' in gpu
    (ok,) = render_signal(triton, triton.signal("success_rate"), {"model": '=~"resnet"'})
    assert 'model=~"resnet"' in ok


def test_prefix_is_applied_to_every_reference():
    ml = KINDS["mlserver"]
    for sig in ml.signals:
        for expr in render_signal(ml, sig, {}, prefix="inference:model_run:mlserver:"):
            assert all(n.startswith("inference:model_run:mlserver:") for n in metric_names(expr)), expr


def test_unknown_metric_reference_is_an_error():
    from components.catalog.base import render

    with pytest.raises(KeyError):
        render(KINDS["vllm"], "sum({{vllm:num_requests_runing}})", {})
    # a summary without quantiles has no bare series
    with pytest.raises(KeyError):
        render(KINDS["mlserver"], "{{model_infer_request_duration}}", {})
    assert REF.findall('{{a}} {{b|x="y"}}') == [("a", ""), ("b", 'x="y"')]


def _rendered_queries(render) -> list[str]:
    import json

    import yaml

    exprs = []
    for rel, text in sorted(render.files.items()):
        if rel.startswith("grafana/") and rel.endswith(".json"):
            exprs += [t["expr"] for p in json.loads(text).get("panels", []) for t in p.get("targets", []) if t.get("expr")]
        elif rel.startswith("prometheus/rules/"):
            exprs += [r["expr"] for g in yaml.safe_load(text)["groups"] for r in g["rules"]]
    return exprs


def test_query_traversal_visits_what_the_parsers_walk_visits(prod):
    """metric_names and selectors read the parsed query's nodes themselves (promql_parser.walk is slow):
    on every query prod renders and every catalog signal, the same nodes in the same order."""
    import promql_parser

    from components.catalog.promql import nodes, parse

    exprs = _rendered_queries(prod) + [e for k, s in ALL for e in render_signal(k, s, SELECTOR)]
    assert len(exprs) > 300
    for expr in exprs:
        walked: list = []
        promql_parser.walk(parse(expr), walked.append)
        assert [(type(n).__name__, str(n)) for n in nodes(parse(expr))] == [(type(n).__name__, str(n)) for n in walked], expr
    seen = {type(n).__name__ for e in exprs for n in nodes(parse(e))}
    assert {"AggregateExpr", "BinaryExpr", "Call", "MatrixSelector", "VectorSelector", "NumberLiteral"} <= seen


def test_query_traversal_covers_every_node_type():
    import promql_parser

    from components.catalog.promql import nodes, parse

    expr = 'topk(scalar(a), -b) + on(x) group_left count_values("v", (c)) + max_over_time(d[5m:1m]) + rate(e[5m] offset 1m)'
    walked: list = []
    promql_parser.walk(parse(expr), walked.append)
    assert [str(n) for n in nodes(parse(expr))] == [str(n) for n in walked]
    assert {type(n).__name__ for n in walked} >= {"AggregateExpr", "BinaryExpr", "Call", "UnaryExpr", "ParenExpr", "SubqueryExpr",
                                                 "MatrixSelector", "VectorSelector", "StringLiteral"}
