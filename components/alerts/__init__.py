"""Alerting: Prometheus rules (and, from the same specs, Datadog monitors)."""
