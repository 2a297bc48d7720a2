"""`infermon verify --live` asks a running Prometheus: here the real one `verify` starts on
loopback, scraping the simulators with the operator's own relabelings, healthy or with the
cluster faults the live check exists to find."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from conftest import requires

from components import cli, tools
from components.render import render
from components.verify.live import Auth, LiveError, LiveProm, Pool, verify_live, why_empty
from components.verify.run import Tamper, _fault, loopback

CHECKS = ["targets", "dashboard variables", "dashboard panels answer", "rule groups loaded", "recording rules", "alerts firing", "series budget"]
RENAMED = {"vllm:time_to_first_token_seconds": "vllm:request_time_to_first_token_seconds"}
"""A vLLM generation that renamed the TTFT histogram (infermon knows the two real generations)."""


def quiet(_: str) -> None:
    pass


@requires("prometheus")
@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_live_holds_on_a_healthy_fleet(stack, tmp_path, capsys):
    rendered = render.build(stack)
    with loopback(rendered, quiet) as fleet:
        code = cli.main(["verify", "--live", "--stack", stack, "--prometheus-url", fleet.url,
                         "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 0, capsys.readouterr().out
    assert [c["name"] for c in report["checks"]] == CHECKS and report["ok"]
    answering, panels = report["panels"]
    assert answering == panels > 20
    assert report["series_by_job"] and all(n > 0 for n in report["series_by_job"].values())
    assert "passed" in (tmp_path / "r.md").read_text()


@pytest.fixture(scope="module")
def faulted():
    """prod with: triton-vision's server down, diffusion's Service not carrying the label its
    ServiceMonitor selects, chat-vllm's TTFT histogram renamed, a recording rule failing at every
    evaluation and the SGLang alert group not loaded."""
    if tools.find("prometheus").path is None:
        pytest.skip("prometheus not found (`make setup-tools` builds it)")
    rendered = render.build("prod")
    tamper = Tamper(mislabel=frozenset({"diffusion"}), rename={"chat-vllm": RENAMED},
                    break_rule="service:nv_inference_request_failure:ratio_rate5m", drop_group="infermon.sglang.alerts")
    with loopback(rendered, quiet, tamper=tamper) as fleet:
        _fault(fleet.plan.by_service["triton-vision"], "down")
        time.sleep(5)
        report = verify_live(rendered, LiveProm(fleet.url), quiet)
        yield fleet, {c.name: c for c in report.checks}


def test_a_down_server_is_named(faulted):
    _, checks = faulted
    down = [f for f in checks["targets"].failures if " down: " in f]
    assert down and all(f.startswith("scrape job inference/triton-vision: ") for f in down)
    assert any(f.startswith("InfermonTargetDown (triton-vision)") for f in checks["alerts firing"].failures)


def test_a_monitor_that_selects_nothing_is_named(faulted):
    _, checks = faulted
    assert ("ServiceMonitor monitoring/inference-diffusion selects nothing: no Service in namespace imaging matches "
            "app.kubernetes.io/name=mlserver") in checks["targets"].failures
    assert any(f.startswith("infermon-mlserver: service diffusion (mlserver) is not among $service's values")
               for f in checks["dashboard variables"].failures)
    # and the alert for it fires: without a target there is no up series for InfermonTargetDown
    assert any(f.split("pending: ")[-1].startswith("InfermonTargetMissing (diffusion)") for f in checks["alerts firing"].failures)
    # the other monitored services are not blamed
    assert len([f for f in checks["targets"].failures if "selects nothing" in f]) == 1


def test_a_renamed_metric_names_the_series_and_the_new_name(faulted):
    _, checks = faulted
    ttft = [f for f in checks["dashboard panels answer"].failures if "[service=chat-vllm]" in f]
    assert ttft and all("no series named vllm:time_to_first_token_seconds_bucket (the server has "
                        "vllm:request_time_to_first_token_seconds_bucket" in f for f in ttft), ttft
    assert 'service_model_name:time_to_first_token_seconds:p95_rate5m{service="chat-vllm"}' in checks["recording rules"].failures


def test_a_failing_rule_and_an_unloaded_group_are_named(faulted):
    _, checks = faulted
    rules = checks["rule groups loaded"]
    assert not rules.ok
    assert any(f.startswith("rule group infermon.sglang.alerts is not loaded (PrometheusRule monitoring/infermon-sglang") for f in rules.failures)
    # prod is sharded: this fleet-wide record is in the group Thanos Ruler evaluates
    assert any(f.startswith("infermon.triton.recording.global / service:nv_inference_request_failure:ratio_rate5m: health err: ")
               for f in rules.failures)
    assert 'service:nv_inference_request_failure:ratio_rate5m{service="triton-vision"}' in checks["recording rules"].failures


def test_findings_exit_1_with_markdown_for_the_ticket(faulted, tmp_path, capsys):
    fleet, _ = faulted
    code = cli.main(["verify", "--live", "--stack", "prod", "--prometheus-url", fleet.url, "--markdown", str(tmp_path / "r.md")])
    out = capsys.readouterr().out
    assert code == 1 and "FAILED" in out and "✗ targets" in out
    md = (tmp_path / "r.md").read_text()
    assert "FAILED" in md and "| ❌ | targets |" in md and "selects nothing" in md


def test_a_port_mismatch_is_told_apart_from_a_selector_mismatch():
    pool = Pool("serviceMonitor/monitoring/inference-chat/0", "ServiceMonitor monitoring/inference-chat", "ServiceMonitor", "llm",
                {"app.kubernetes.io/name": "vllm"}, "metrics")
    found = {"__meta_kubernetes_service_label_app_kubernetes_io_name": "vllm", "__meta_kubernetes_endpointslice_port_name": "http"}
    assert why_empty(pool, [found], True) == ("ServiceMonitor monitoring/inference-chat selects nothing: Services in namespace llm match "
                                              "app.kubernetes.io/name=vllm but none exposes port metrics (found: http)")
    assert why_empty(pool, [], False).startswith("ServiceMonitor monitoring/inference-chat is not loaded: Prometheus has no scrape pool")


class _Guarded(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        ok = self.headers.get("Authorization") == "Bearer s3cret-token"
        body = json.dumps({"status": "success", "data": {"version": "3.14.0"}} if ok else {"status": "error", "error": "unauthorized"})
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_):
        pass


def test_credentials_come_from_files_and_are_never_shown(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Guarded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        token = tmp_path / "token"
        token.write_text("s3cret-token\n")
        assert LiveProm(url, Auth(bearer_token_file=token)).get("/api/v1/status/buildinfo")["data"]["version"] == "3.14.0"
        with pytest.raises(LiveError, match="HTTP 401") as refused:
            LiveProm(f"http://admin:hunter2@127.0.0.1:{server.server_port}").get("/api/v1/status/buildinfo")
        assert "hunter2" not in str(refused.value) and "admin" not in str(refused.value)
        (tmp_path / "basic").write_text("no-colon\n")
        with pytest.raises(LiveError, match="user:password"):
            LiveProm(url, Auth(basic_auth_file=tmp_path / "basic"))
    finally:
        server.shutdown()


@pytest.mark.parametrize("argv, message", [
    (["--live"], "--live needs --prometheus-url"),
    (["--prometheus-url", "http://127.0.0.1:9090"], "add --live"),
    (["--live", "--stack", "all", "--prometheus-url", "http://127.0.0.1:9090"], "one stack"),
    (["--live", "--prometheus-url", "http://127.0.0.1:9090", "--bearer-token-file", "a", "--basic-auth-file", "b"], "give one of them"),
    (["--live", "--prometheus-url", "ftp://x"], "expected http(s)://"),
    (["--bearer-token-file", "t"], "is for --live"),
])
def test_bad_live_arguments_exit_2(argv, message, capsys):
    assert cli.main(["verify", *argv]) == 2
    assert message in capsys.readouterr().err
