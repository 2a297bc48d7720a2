"""PrometheusRule resources, one per rule file (per kind, GPU, targets, SLOs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from .. import naming
from ..config import LoadedConfig
from .placement import PLACEMENT_LABEL, split
from .rules import rule_files


def placed_rule_files(loaded: LoadedConfig) -> dict[str, tuple[dict, bool]]:
    """Rule files by PrometheusRule name -> (spec, evaluated on the global view). With more than
    one shard, the rules that need the whole fleet move to ``<file>-global`` (Thanos Ruler)."""
    files = rule_files(loaded)
    if loaded.config.prometheus.shards == 1:
        return {name: (spec, False) for name, spec in files.items()}
    local, glob = split(files)
    return {**{n: (s, False) for n, s in local.items()}, **{n: (s, True) for n, s in glob.items()}}


@dataclass(frozen=True)
class PrometheusRulesArgs:
    loaded: LoadedConfig
    """The validated stack config."""

    namespace: str
    """Namespace of the PrometheusRule objects (the monitoring namespace)."""


class PrometheusRules(pulumi.ComponentResource):
    """Recording and alerting rules. With one shard the stack's Prometheus selects every
    PrometheusRule; with more, those labelled ``global`` go to Thanos Ruler instead."""

    def __init__(self, name: str, args: PrometheusRulesArgs, opts: Optional[pulumi.ResourceOptions] = None,
                 crd_depends_on: Optional[list[pulumi.Resource]] = None):
        super().__init__("infermon:prometheus:Rules", name, None, opts)
        files = placed_rule_files(args.loaded)
        for rule_name, (spec, on_global) in files.items():
            labels = naming.common_labels("prometheus-rules", rule_name) | ({PLACEMENT_LABEL: "global"} if on_global else {})
            k8s.apiextensions.CustomResource(
                f"{name}-{rule_name}",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=rule_name, namespace=args.namespace, labels=labels),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=crd_depends_on or []),
            )
        self.register_outputs({"ruleFiles": len(files)})
