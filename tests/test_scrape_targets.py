"""Targets outside service discovery: a Secret of scrape jobs, tokens only as mounted files."""

from __future__ import annotations


import pytest
import yaml
from conftest import MINIMAL, helm_values, obj, render_config, requires

from components.render import validate

DATABRICKS = {
    "name": "dbx",
    "kind": "databricks",
    "host": "adb-1.2.azuredatabricks.net",
    "endpoints": ["fraud", "churn"],
    "tokenSecret": "dbxToken",
}
CANARY = "dapi-CANARY-0123456789abcdef"


def jobs(r):
    return yaml.safe_load(r.files["prometheus/scrape-configs.yaml"])


def test_databricks_job_is_https_with_export_path_and_credentials_file(prod):
    job = next(j for j in jobs(prod) if j["job_name"] == "endpoint/databricks-serving/fraud-scoring")
    assert job["scheme"] == "https"
    assert job["metrics_path"] == "/api/2.0/serving-endpoints/fraud-scoring/metrics"
    assert job["scrape_interval"] == "1m"
    assert job["authorization"] == {
        "type": "Bearer",
        "credentials_file": "/etc/prometheus/secrets/infermon-scrape-credentials/databricks-serving-token",
    }
    assert job["static_configs"][0]["targets"] == ["adb-1234567890123456.7.azuredatabricks.net:443"]
    assert job["static_configs"][0]["labels"]["endpoint"] == "fraud-scoring"


def test_token_is_in_the_mounted_secret_never_in_the_scrape_configs(tmp_path):
    r = render_config(tmp_path, {**MINIMAL, "endpoints": [DATABRICKS]}, secrets={"dbxToken": CANARY})
    assert CANARY not in r.files["prometheus/scrape-configs.yaml"]
    assert not any(CANARY in text for text in r.files.values())
    creds = obj(r, "Secret", "infermon-scrape-credentials")
    assert creds["stringData"] == {"dbx-token": "[secret]"}
    spec = helm_values(r)["prometheus"]["prometheusSpec"]
    assert spec["secrets"] == ["infermon-scrape-credentials"]
    assert spec["additionalScrapeConfigsSecret"] == {"enabled": True, "name": "infermon-additional-scrape-configs", "key": "scrape-configs.yaml"}


def test_static_triton_targets_get_service_labels(dev):
    (job,) = [j for j in jobs(dev) if j["job_name"] == "inference/triton"]
    assert job["static_configs"][0]["targets"] == ["triton.serving.svc.cluster.local:8002"]
    assert job["static_configs"][0]["labels"] == {"service": "triton", "environment": "dev", "team": "vision", "inference_kind": "triton"}


def test_no_credentials_secret_without_tokens(dev):
    assert "prometheus/scrape-configs.yaml" in dev.files
    assert "secrets" not in helm_values(dev)["prometheus"]["prometheusSpec"]


@requires("promtool")
def test_promtool_accepts_rendered_jobs_and_rejects_a_broken_one(prod):
    good = jobs(prod)
    assert validate.check_scrape_configs(good).ok
    broken = [dict(good[0], scrape_interval="10s", scrape_timeout="1m")]  # timeout longer than interval
    result = validate.check_scrape_configs(broken)
    assert not result.ok
    assert "scrape timeout greater than scrape interval" in result.errors[0]
