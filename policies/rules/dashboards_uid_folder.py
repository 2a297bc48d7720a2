"""Dashboards have a stable uid and a folder."""

import json

from ._common import Resource, Rule


def validate(r: Resource, config) -> list[str]:
    out = []
    md = r.props.get("metadata") or {}
    if r.type == "kubernetes:core/v1:ConfigMap" and (md.get("labels") or {}).get("grafana_dashboard"):
        if not (md.get("annotations") or {}).get("grafana_folder"):
            out.append("dashboard ConfigMap has no grafana_folder annotation: it lands in General")
        for key, text in (r.props.get("data") or {}).items():
            if not _uid(text):
                out.append(f"{key} has no uid: links and alerts cannot point at it")
    elif r.type == "grafana:oss/dashboard:Dashboard":
        if not r.props.get("folder"):
            out.append("dashboard has no folder")
        if not _uid(r.props.get("configJson") or ""):
            out.append("dashboard has no uid")
    return out


def _uid(text: str) -> str:
    try:
        return (json.loads(text) or {}).get("uid") or ""
    except (ValueError, AttributeError):
        return ""


RULE = Rule("dashboards-uid-folder", "Every dashboard has a uid and a folder.", validate)
