"""The Alertmanager configuration as the chart delivers it, checked by the amtool the chart's
Alertmanager version ships."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import yaml
from conftest import MINIMAL, render_config, rendered_stack, requires, tool

from components.kube_prometheus_stack import CHART_ALERTMANAGER_CONFIG, helm_coalesce
from components.render import validate

pytestmark = requires("amtool")

RECEIVERS = {"alertmanager": {
    "receivers": [{"name": "teams", "type": "msteams", "secret": "teamsHook"},
                  {"name": "pager", "type": "pagerduty", "secret": "pdKey"},
                  {"name": "hook", "type": "webhook", "secret": "hookUrl"},
                  {"name": "chat", "type": "slack", "secret": "slackHook", "channel": "#ml"}],
    "routes": [{"receiver": "pager", "matchers": {"severity": "critical"}, "continue": True},
               {"receiver": "chat", "matchers": {"team": 'llm "core" \\ ops'}}],
}}
SECRETS = {"teamsHook": "https://example.invalid/teams", "pdKey": "pd-routing-key-canary", "hookUrl": "https://example.invalid/h", "slackHook": "https://example.invalid/s"}


def checks(r):
    return {c.name: c for c in r.checks}


def test_every_stack_alertmanager_config_passes_amtool():
    for stack in ("dev", "prod", "gpu-host"):
        check = checks(rendered_stack(stack))["amtool check-config"]
        assert check.ok and not check.skipped, (stack, check)
        assert "accepted" in check.detail


def test_msteams_and_every_receiver_type_accepted_with_quoted_matcher_values(tmp_path):
    r = render_config(tmp_path, {**MINIMAL, **RECEIVERS}, SECRETS)
    check = checks(r)["amtool check-config"]
    assert check.ok and not check.skipped, check
    config = yaml.safe_load(r.files["alertmanager/alertmanager.yaml"])
    assert [rc["name"] for rc in config["receivers"]] == ["teams", "pager", "hook", "chat", "null"]
    assert config["receivers"][0]["msteams_configs"][0]["webhook_url_file"].endswith("/teams")
    assert config["route"]["routes"][3]["matchers"] == ['team="llm \\"core\\" \\\\ ops"']
    for value in SECRETS.values():
        assert value not in r.files["alertmanager/alertmanager.yaml"]


def test_amtool_rejects_a_route_to_a_missing_receiver():
    text = rendered_stack("prod").files["alertmanager/alertmanager.yaml"]
    broken = yaml.safe_load(text)
    broken["route"]["routes"][0]["receiver"] = "nobody"
    check = validate.check_alertmanager_config(yaml.safe_dump(broken))
    assert not check.ok and "nobody" in check.errors[0]


def test_chart_defaults_are_merged_as_helm_merges_values():
    delivered = yaml.safe_load(rendered_stack("prod").files["alertmanager/alertmanager.yaml"])
    assert delivered["templates"] == CHART_ALERTMANAGER_CONFIG["templates"]  # only in the chart's values
    assert delivered["route"]["repeat_interval"] == "4h"  # ours wins over the chart's 12h
    assert helm_coalesce({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}, "d": None}) == {"a": {"b": 1, "c": [2]}}


def amtool_route(config_text: str, tmp_path, *labels: str) -> str:
    path = tmp_path / "am.yaml"
    path.write_text(config_text)
    proc = subprocess.run([tool("amtool"), "config", "routes", "test", f"--config.file={path}", *labels], capture_output=True, text=True)
    return proc.stdout.strip()


def test_watchdog_and_info_inhibitor_never_reach_a_human(tmp_path):
    text = rendered_stack("prod").files["alertmanager/alertmanager.yaml"]
    assert amtool_route(text, tmp_path, "alertname=Watchdog", "severity=none") == "null"
    assert amtool_route(text, tmp_path, "alertname=InfoInhibitor", "severity=none") == "null"
    assert amtool_route(text, tmp_path, "alertname=LLMKVCacheNearFull", "severity=critical", "team=llm") == "pagerduty-oncall,slack-llm"
    assert amtool_route(text, tmp_path, "alertname=GPUTemperatureHigh", "severity=warning", "team=ml-platform") == "slack-platform"


def test_watchdog_goes_to_a_dead_mans_switch_every_minute_when_configured(tmp_path):
    r = render_config(tmp_path, {**MINIMAL, "alertmanager": {**RECEIVERS["alertmanager"], "watchdogReceiver": "hook"}}, SECRETS)
    text = r.files["alertmanager/alertmanager.yaml"]
    assert amtool_route(text, tmp_path, "alertname=Watchdog", "severity=none") == "hook"
    (route,) = [x for x in yaml.safe_load(text)["route"]["routes"] if x["receiver"] == "hook"]
    assert route["repeat_interval"] == "1m"


@requires("alertmanager")
def test_inhibitions_on_a_real_alertmanager(tmp_path):
    """A critical alert silences the same service's warning of that alert, not another service's;
    InfoInhibitor silences info alerts of its namespace."""
    from components.verify.run import _wait, free_port

    config = yaml.safe_load(rendered_stack("prod").files["alertmanager/alertmanager.yaml"])
    for r in config["receivers"]:  # nothing leaves the machine: every receiver discards
        for key in [k for k in r if k.endswith("_configs")]:
            del r[key]
    (tmp_path / "am.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    server = subprocess.Popen([tool("alertmanager"), f"--config.file={tmp_path / 'am.yaml'}", f"--storage.path={tmp_path / 'data'}",
                               f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v2"
    try:
        assert _wait(lambda: urllib.request.urlopen(f"{base}/status", timeout=2).status == 200, 20, 0.2)
        alert = lambda name, sev, svc, ns="llm": {"labels": {"alertname": name, "severity": sev, "service": svc, "namespace": ns, "cluster": "c"}}  # noqa: E731
        alerts = [alert("SLOAvailabilityBurnRate", "critical", "chat"), alert("SLOAvailabilityBurnRate", "warning", "chat"),
                  alert("SLOAvailabilityBurnRate", "warning", "code"), alert("InfoInhibitor", "none", "", "llm"),
                  alert("SomethingInfo", "info", "chat")]
        req = urllib.request.Request(f"{base}/alerts", data=json.dumps(alerts).encode(), headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(req, timeout=5).read()

        def states():
            got = json.loads(urllib.request.urlopen(f"{base}/alerts", timeout=5).read())
            return {(a["labels"]["alertname"], a["labels"]["severity"], a["labels"].get("service", "")): bool(a["status"]["inhibitedBy"]) for a in got}

        assert _wait(lambda: len(states()) == 5 and states()[("SomethingInfo", "info", "chat")], 20, 0.5), states()
        got = states()
        assert got[("SLOAvailabilityBurnRate", "warning", "chat")] is True
        assert got[("SLOAvailabilityBurnRate", "warning", "code")] is False
        assert got[("SLOAvailabilityBurnRate", "critical", "chat")] is False
        assert got[("InfoInhibitor", "none", "")] is True
    finally:
        server.terminate()
        server.wait(timeout=10)
