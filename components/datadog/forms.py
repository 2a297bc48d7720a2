"""The forms in which the Datadog Agent schedules a check, checked on rendered files."""

from __future__ import annotations

from .. import fastyaml


def form_problems(files: dict[str, str]) -> list[str]:
    """Check configurations the Agent would never schedule, by delivery (its documented forms: a
    cluster check with a fixed URL; a file-based endpoints or service check through
    ``advanced_ad_identifiers``; pod annotations ``ad.datadoghq.com/<container>.checks`` naming a
    container of the pod)."""
    out = []
    for rel, text in sorted(files.items()):
        if rel.startswith("datadog/checks/"):
            conf = fastyaml.load(text)
            for ident in conf.get("ad_identifiers", []):
                if "://" in ident:  # container images are plain names; kube_* templates are advanced identifiers
                    out.append(f"{rel}: ad_identifiers {ident!r} is never produced by the Agent "
                               "(an endpoints or service check needs advanced_ad_identifiers: [{kube_endpoints: {name, namespace}}])")
            for adv in conf.get("advanced_ad_identifiers", []):
                (what, ref), = adv.items()
                if what not in ("kube_endpoints", "kube_service") or set(ref) != {"name", "namespace"}:
                    out.append(f"{rel}: advanced_ad_identifiers entry {adv!r} is not a kube_endpoints/kube_service {{name, namespace}}")
            if not (conf.get("ad_identifiers") or conf.get("advanced_ad_identifiers") or conf.get("cluster_check")):
                out.append(f"{rel}: neither a cluster check nor autodiscovered: no Agent runs it")
            if conf.get("advanced_ad_identifiers") and not conf.get("cluster_check"):
                out.append(f"{rel}: an endpoints check from a file must be a cluster check (cluster_check: true)")
        elif rel.startswith("kubernetes/") and "daemonset-" in rel:
            pod = fastyaml.load(text)["spec"]["template"]
            containers = {c["name"] for c in pod["spec"]["containers"]}
            for key in pod["metadata"].get("annotations", {}):
                if key.startswith("ad.datadoghq.com/") and key.endswith(".checks"):
                    container = key[len("ad.datadoghq.com/"):-len(".checks")]
                    if container not in containers:
                        out.append(f"{rel}: annotation {key} names container {container!r}; the pod has {sorted(containers)}")
    return out
