"""Datadog monitors notify someone and carry env and team tags."""

from ._common import Resource, Rule


def validate(r: Resource, config) -> list[str]:
    if r.type != "datadog:index/monitor:Monitor":
        return []
    out = []
    if "@" not in (r.props.get("message") or ""):
        out.append("the monitor message has no notification handle (@…): it alerts nobody")
    tags = r.props.get("tags") or []
    for key in ("env", "team"):
        if not any(str(t).startswith(f"{key}:") for t in tags):
            out.append(f"the monitor has no {key}: tag")
    return out


RULE = Rule("datadog-monitor-hygiene", "Datadog monitors have a notification handle and env/team tags.", validate)
