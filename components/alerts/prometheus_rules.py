"""PrometheusRule resources, one per rule file (per kind, GPU, targets, SLOs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from .. import naming
from ..config import LoadedConfig
from .rules import rule_files


@dataclass(frozen=True)
class PrometheusRulesArgs:
    loaded: LoadedConfig
    """The validated stack config."""

    namespace: str
    """Namespace of the PrometheusRule objects (the monitoring namespace)."""


class PrometheusRules(pulumi.ComponentResource):
    """Recording and alerting rules; the stack's Prometheus selects every PrometheusRule."""

    def __init__(self, name: str, args: PrometheusRulesArgs, opts: Optional[pulumi.ResourceOptions] = None,
                 crd_depends_on: Optional[list[pulumi.Resource]] = None):
        super().__init__("infermon:prometheus:Rules", name, None, opts)
        files = rule_files(args.loaded)
        for rule_name, spec in files.items():
            k8s.apiextensions.CustomResource(
                f"{name}-{rule_name}",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=rule_name, namespace=args.namespace, labels=naming.common_labels("prometheus-rules", rule_name)),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=crd_depends_on or []),
            )
        self.register_outputs({"ruleFiles": len(files)})
