"""Datadog: Agent checks and monitors from the same catalog and thresholds as Prometheus."""
