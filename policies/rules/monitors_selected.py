"""Every ServiceMonitor, PodMonitor and PrometheusRule is selected by the stack's Prometheus."""

from ._common import Resource, Rule, kps_values

FLAGS = {
    "ServiceMonitor": ("serviceMonitorSelectorNilUsesHelmValues", "serviceMonitorSelector"),
    "PodMonitor": ("podMonitorSelectorNilUsesHelmValues", "podMonitorSelector"),
    "PrometheusRule": ("ruleSelectorNilUsesHelmValues", "ruleSelector"),
}


def validate_stack(resources: list[Resource], config):
    release = next(((r, v) for r in resources if (v := kps_values(r)) is not None), None)
    if release is None:
        return []
    r_rel, values = release
    spec = (values.get("prometheus") or {}).get("prometheusSpec") or {}
    release_name = r_rel.props.get("name") or ""
    out = []
    for r in resources:
        kind = r.type.rsplit(":", 1)[-1]
        if not r.type.startswith("kubernetes:monitoring.coreos.com/") or kind not in FLAGS:
            continue
        flag, selector = FLAGS[kind]
        labels = (r.props.get("metadata") or {}).get("labels") or {}
        if spec.get(selector):
            wanted = (spec[selector] or {}).get("matchLabels") or {}
            if any(labels.get(k) != v for k, v in wanted.items()):
                out.append((r.name, f"{kind} lacks the labels {wanted} that prometheusSpec.{selector} requires"))
        elif spec.get(flag, True) and labels.get("release") != release_name:
            out.append((r.name, f"{kind} is ignored: prometheusSpec.{flag} is not false and it has no release={release_name!r} label"))
    return out


RULE = Rule("monitors-selected", "Every ServiceMonitor, PodMonitor and PrometheusRule is picked up by the stack's Prometheus.",
            validate_stack=validate_stack)
