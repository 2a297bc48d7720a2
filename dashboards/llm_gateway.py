"""LLM gateway: the Arks gateway (folder LLM)."""

from .common import health_row, P, Row, dashboard, inference_variables

UID = "infermon-llm-gateway"
TITLE = "LLM gateway"
FOLDER = "LLM"
KINDS = ("arks-gateway",)
SELECT = {"namespace": '=~"$namespace"', "model": '=~"$model"'}

ROWS = [
    health_row(),
    Row("Requests", (
        P("requests_by_status"),
        P("duration_p50", "duration_p95", "duration_p99", title="Request duration"),
        P("errors_by_type"),
        P("error_ratio"),
    )),
    Row("Tokens", (
        P("token_usage"),
        P("token_distribution_p50", "token_distribution_p95", "token_distribution_p99", title="Tokens per request"),
    )),
    Row("Rate limits and quotas", (
        P("rate_limit_hits"),
        P("rate_limit_tokens"),
        P("quota_used", "quota_limit", title="Quota usage and limit"),
        P("quota_usage_ratio"),
    )),
]


def build(ctx):
    variables = inference_variables(ctx, "arks-gateway", "model")
    return dashboard(UID, TITLE, "Arks gateway: requests, errors, token usage, rate limits and quotas.", ["llm"], ctx, variables, ROWS)
