"""No credential as a literal: only Kubernetes Secrets and secret files hold them."""

import functools
import re

from ._common import Resource, Rule, walk_strings

SECRET_KEY = re.compile(r"(^|[._-])(password|passwd|token|api[_-]?key|apikey|secret|credentials?|bearer|auth)$", re.I)
PATTERNS = [
    # (pattern, what it finds, text the pattern cannot match without (any of), shortest match)
    (re.compile(r"https://hooks\.slack\.com/services/\S+"), "a Slack webhook URL", ("hooks.slack.com/services/",), 34),
    (re.compile(r"\bdapi[0-9a-f]{32}\b"), "a Databricks token", ("dapi",), 36),
    (re.compile(r"\bglsa_[A-Za-z0-9_]{20,}"), "a Grafana service-account token", ("glsa_",), 25),
    (re.compile(r"\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*"), "a bearer token", ("Bearer",), 23),
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key", ("AKIA", "ASIA"), 20),
    (re.compile(r"https?://[^/\s:@]+:[^/\s@]+@"), "a URL with a password", ("@",), 11),
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"), "a 32-hex-digit key (Datadog API key shape)", None, 32),
]
"""A substring and length test rules a string out far faster than a search (a large stack holds
megabytes of dashboard JSON and thousands of monitor messages)."""

ALLOWED_VALUES = {"", "[secret]", "Bearer <TOKEN>"}
EXEMPT_TYPES = ("kubernetes:core/v1:Secret", "random:")


def _is_reference(path: str, value: str) -> bool:
    leaf = path.rsplit(".", 1)[-1]
    return (value.startswith("/") or value.startswith("%%") or leaf.endswith(("File", "_file", "Secret", "existingSecret", "Key", "Ref"))
            or "secretKeyRef" in path or ".name" in path[-5:])


@functools.lru_cache(maxsize=4096)
def _secret_key(leaf: str) -> bool:
    return SECRET_KEY.search(leaf) is not None


def validate(r: Resource, config) -> list[str]:
    if r.type.startswith(EXEMPT_TYPES) or r.type.startswith("pulumi:providers:"):
        return []
    out = []
    if r.type == "docker:index/container:Container":
        for i, env in enumerate(r.props.get("envs") or []):
            name, _, value = env.partition("=")
            if value and value != "[secret]" and SECRET_KEY.search(name.replace("__", "_")) and not name.endswith("_FILE"):
                out.append(f"envs[{i}] sets {name} as a plain environment value; upload it as a file and pass the file's path")
    for path, value in walk_strings(r.props):
        if value in ALLOWED_VALUES or "sha256" in path:
            continue
        leaf = path.rsplit(".", 1)[-1].split("[")[0]
        if _secret_key(leaf) and not _is_reference(path, value) and len(value) >= 8 and " " not in value:
            out.append(f"{path} looks like a literal credential; keep it in a Kubernetes Secret and reference it")
            continue
        for pattern, what, needs, shortest in PATTERNS:
            if len(value) < shortest or (needs and not any(text in value for text in needs)):
                continue
            if pattern.search(value) and not path.endswith(("collectors-sha256",)):
                out.append(f"{path} contains {what}; keep it in a Kubernetes Secret and reference it")
                break
    return out


RULE = Rule("no-literal-credentials", "No credential as a literal in Helm values, ConfigMaps, scrape or check configs: only Secrets.", validate)
