"""Remote write goes over TLS."""

from ._common import Resource, Rule, kps_values


def validate(r: Resource, config) -> list[str]:
    values = kps_values(r)
    if values is None:
        return []
    spec = (values.get("prometheus") or {}).get("prometheusSpec") or {}
    return [f"remote write {rw.get('name', rw.get('url'))!r} is not https: {rw.get('url')}" for rw in spec.get("remoteWrite") or []
            if not str(rw.get("url", "")).startswith("https://")]


RULE = Rule("remote-write-tls", "Remote write to long-term storage uses https.", validate)
