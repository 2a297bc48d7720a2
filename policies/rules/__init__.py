"""Every infermon policy rule, one module each."""

from . import (
    alertmanager_receiver,
    dashboards_uid_folder,
    datadog_monitor_hygiene,
    docker_exposure,
    gpu_exporter_scheduling,
    grafana_secure,
    monitors_selected,
    no_literal_credentials,
    pinned_versions,
    prometheus_durability,
    remote_write_tls,
    replicas_deduplicated,
    storage_as_deployed,
)
from ._common import Resource, Rule, Violation

RULES: tuple[Rule, ...] = (
    gpu_exporter_scheduling.RULE,
    pinned_versions.RULE,
    monitors_selected.RULE,
    no_literal_credentials.RULE,
    grafana_secure.RULE,
    prometheus_durability.RULE,
    alertmanager_receiver.RULE,
    remote_write_tls.RULE,
    datadog_monitor_hygiene.RULE,
    dashboards_uid_folder.RULE,
    docker_exposure.RULE,
    storage_as_deployed.RULE,
    replicas_deduplicated.RULE,
)


def evaluate_rule(rule: Rule, resources: list[Resource], config: dict) -> list[Violation]:
    """One rule over a stack's resources (``config``: the rule's config, e.g. ``{"production": True}``)."""
    out: list[Violation] = []
    for r in resources:
        out += resource_violations(rule, r, config)
    return out + stack_violations(rule, resources, config)


def resource_violations(rule: Rule, resource: Resource, config: dict) -> list[Violation]:
    """The rule's per-resource part on one resource."""
    if rule.validate is None:
        return []
    return [Violation(rule.name, resource.name, msg) for msg in rule.validate(resource, config)]


def stack_violations(rule: Rule, resources: list[Resource], config: dict) -> list[Violation]:
    """The rule's stack part on all the stack's resources."""
    if rule.validate_stack is None:
        return []
    return [Violation(rule.name, name, msg) for name, msg in rule.validate_stack(resources, config)]


def evaluate(resources: list[Resource], config: dict) -> list[Violation]:
    """Every rule over a stack's resources, with the same config for all."""
    return [v for rule in RULES for v in evaluate_rule(rule, resources, config)]


__all__ = ["RULES", "Resource", "Rule", "Violation", "evaluate", "evaluate_rule", "resource_violations", "stack_violations"]
