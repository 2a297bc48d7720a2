"""The operator's resources against the CRDs of the operator release the chart deploys.

``scripts/ensure-operator-crds.sh`` (``make setup-tools``) fetches the CRDs from the operator's
Go module into ``.tools/crds/<version>``. Validated against each CRD's ``openAPIV3Schema`` (what
the API server enforces): every PrometheusRule, ServiceMonitor and PodMonitor infermon
declares, and the Prometheus and ThanosRuler the chart makes of infermon's values, as its
templates (kube-prometheus-stack 88.5.3, ``templates/prometheus/prometheus.yaml`` and
``templates/thanos-ruler/ruler.yaml``) write the fields those values set.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Optional

import jsonschema
import yaml

from .. import naming, pins, tools
from .validate import CheckResult

PLURALS = {"Prometheus": "prometheuses", "ThanosRuler": "thanosrulers", "PrometheusRule": "prometheusrules",
           "ServiceMonitor": "servicemonitors", "PodMonitor": "podmonitors"}


def crd_dir() -> Path:
    return tools.ROOT / ".tools" / "crds" / pins.kps()["operator"]


@functools.lru_cache(maxsize=None)
def _validator(kind: str) -> Optional[jsonschema.Draft7Validator]:
    path = crd_dir() / f"monitoring.coreos.com_{PLURALS[kind]}.yaml"
    if not path.is_file():
        return None
    cached = path.with_suffix(".strict.json")  # parsing the YAML costs a render 0.3 s; the JSON a tenth of it
    if cached.is_file() and cached.stat().st_mtime >= path.stat().st_mtime:
        return jsonschema.Draft7Validator(json.loads(cached.read_text()))
    crd = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
    schema = _strict(version["schema"]["openAPIV3Schema"])
    try:
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(schema))
        tmp.replace(cached)
    except OSError:
        pass  # a read-only checkout: parse again next time
    return jsonschema.Draft7Validator(schema)


def _strict(schema: Any) -> Any:
    """The schema refusing fields it does not declare, as ``kubectl apply --validate=strict`` and
    server-side field validation do (the API server would otherwise drop them silently)."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) if k in ("properties", "items", "additionalProperties", "allOf", "anyOf", "oneOf") or isinstance(v, (dict, list)) else v
           for k, v in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def available() -> bool:
    return (crd_dir() / f"monitoring.coreos.com_{PLURALS['ThanosRuler']}.yaml").is_file()


PASSTHROUGH = ("retention", "retentionSize", "replicas", "shards", "scrapeInterval", "evaluationInterval", "externalLabels",
               "resources", "secrets", "remoteWrite", "thanos", "ruleSelector")
"""prometheusSpec keys the chart's template copies into the Prometheus spec as they are."""


def chart_prometheus(values: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The Prometheus resource's fields that infermon's values set, as the chart writes them."""
    ps = (values.get("prometheus") or {}).get("prometheusSpec") or {}
    spec = {k: ps[k] for k in PASSTHROUGH if k in ps}
    if "storageSpec" in ps:
        spec["storage"] = ps["storageSpec"]
    extra = ps.get("additionalScrapeConfigsSecret") or {}
    if extra.get("enabled"):
        spec["additionalScrapeConfigs"] = {"name": extra["name"], "key": extra["key"]}
    for selector in ("serviceMonitor", "podMonitor", "probe", "scrapeConfig", "rule"):
        if ps.get(f"{selector}SelectorNilUsesHelmValues") is False and f"{selector}Selector" not in spec:
            spec[f"{selector}Selector"] = {}
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
            "metadata": {"name": f"{naming.FULLNAME}-prometheus", "namespace": namespace}, "spec": spec}


def chart_thanos_ruler(values: dict[str, Any], namespace: str) -> Optional[dict[str, Any]]:
    """The ThanosRuler resource the chart writes for ``thanosRuler`` values (None: not enabled)."""
    tr = values.get("thanosRuler") or {}
    if not tr.get("enabled"):
        return None
    s = tr.get("thanosRulerSpec") or {}
    image = s["image"]
    spec: dict[str, Any] = {
        "image": f"{image['registry']}/{image['repository']}:{image['tag']}",
        "replicas": s.get("replicas", 1),
        "listenLocal": False,
        "serviceAccountName": f"{naming.FULLNAME}-thanos-ruler",
        "externalPrefix": f"http://{naming.FULLNAME}-thanos-ruler.{namespace}:10902",
        "paused": False, "logFormat": "logfmt", "logLevel": "info", "retention": "24h",
        "ruleNamespaceSelector": s.get("ruleNamespaceSelector", {}),
        "ruleSelector": s["ruleSelector"],
        "routePrefix": "/",
    }
    for key in ("evaluationInterval", "alertmanagersUrl", "queryEndpoints", "labels", "resources", "storage"):
        if s.get(key):
            spec[key] = s[key]
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ThanosRuler",
            "metadata": {"name": f"{naming.FULLNAME}-thanos-ruler", "namespace": namespace}, "spec": spec}


class Check:
    """The check fed one object at a time (a render's worker validates each custom resource as it is
    registered); ``result`` adds the chart's Prometheus and ThanosRuler and reports the objects in the
    order of their ``key``s."""

    def __init__(self) -> None:
        self._errors: list[tuple[Any, list[str]]] = []
        self._kinds: dict[str, int] = {}

    def add(self, obj: dict[str, Any], key: Any = 0) -> None:
        kind = obj["kind"]
        self._kinds[kind] = self._kinds.get(kind, 0) + 1
        validator = _validator(kind) if available() else None
        errors = [f"{kind}/{obj['metadata']['name']}: {'.'.join(str(p) for p in err.path)}: {err.message}"
                  for err in sorted(validator.iter_errors(obj), key=lambda e: list(e.path))] if validator else []
        if errors:
            self._errors.append((key, errors))

    def result(self, values: Optional[dict[str, Any]], namespace: str) -> CheckResult:
        name = "operator CRDs"
        version = pins.kps()["operator"]
        errors = [e for _, found in sorted(self._errors, key=lambda ke: ke[0]) for e in found]
        kinds = dict(self._kinds)
        if values is not None:
            last = Check()
            last.add(chart_prometheus(values, namespace))
            ruler = chart_thanos_ruler(values, namespace)
            if ruler:
                last.add(ruler)
            errors += [e for _, found in last._errors for e in found]
            for kind, n in last._kinds.items():
                kinds[kind] = kinds.get(kind, 0) + n
        if not available():
            return CheckResult(name, True, f"the CRDs of operator {version} are not in {crd_dir()}: NOT checked (run `make setup-tools`)", skipped=True)
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        return CheckResult(name, not errors, f"{summary} against the monitoring.coreos.com CRDs of operator {version} "
                           "(Prometheus and ThanosRuler as the chart writes them from the values)", errors)


def check(custom: list[dict[str, Any]], values: Optional[dict[str, Any]], namespace: str) -> CheckResult:
    """``custom`` (in this order) and the chart's objects made of ``values`` against the CRDs."""
    result = Check()
    for i, obj in enumerate(custom):
        result.add(obj, i)
    return result.result(values, namespace)
