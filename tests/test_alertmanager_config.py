"""The Alertmanager configuration as the chart delivers it, checked by the amtool the chart's
Alertmanager version ships."""

from __future__ import annotations

import yaml
from conftest import MINIMAL, render_config, rendered_stack, requires

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
    assert [rc["name"] for rc in config["receivers"]] == ["teams", "pager", "hook", "chat"]
    assert config["receivers"][0]["msteams_configs"][0]["webhook_url_file"].endswith("/teams")
    assert config["route"]["routes"][1]["matchers"] == ['team="llm \\"core\\" \\\\ ops"']
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
