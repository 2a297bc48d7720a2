"""``infermon verify --live``: the deployed stack, asked of the Prometheus that runs it.

The render says what the stack declares; the Prometheus HTTP API says what runs:

- **targets** (``/api/v1/targets``): every scrape job and ServiceMonitor/PodMonitor the stack
  declares has targets, all up. A monitor whose scrape pool has no active target is diagnosed
  from the targets discovery found and the operator's ``keep`` relabelings dropped: no object
  carries the selected labels, or none exposes the endpoint's port.
- **panels**: every query of every dashboard returns data, with each variable's values
  enumerated from the live label values; an empty panel names the series that has no data and
  the similar names that do exist (an upstream rename, a prefix).
- **rules** (``/api/v1/rules``): every declared group loaded, every rule in it ``health: ok``
  without ``lastError``; every recording rule produces series.
- **alerts** (``/api/v1/alerts``): the stack's alerts firing now, per service.
- **cardinality**: series per scrape pool (``scrape_samples_post_metric_relabeling``) and, where
  ``metrics.keep: used``, the series stored outside the keep-list.

Only reads: GET requests to the API, nothing is written anywhere.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

from ..catalog.promql import GRAFANA_VARIABLES, metric_names, selectors
from ..render import render
from .run import Check, Report, pool_name, sanitize


class LiveError(Exception):
    """The Prometheus could not be asked (unreachable, refused the credentials, not a Prometheus)."""


@dataclass(frozen=True)
class Auth:
    bearer_token_file: Optional[Path] = None
    """A file holding the bearer token (e.g. an ingress's OAuth proxy token)."""
    basic_auth_file: Optional[Path] = None
    """A file holding ``user:password`` on its first line."""
    ca_file: Optional[Path] = None
    """PEM bundle of the CA that signed the Prometheus' (or ingress') certificate."""

    def headers(self) -> dict[str, str]:
        if self.bearer_token_file is not None:
            return {"Authorization": "Bearer " + _first_line(self.bearer_token_file)}
        if self.basic_auth_file is not None:
            user_password = _first_line(self.basic_auth_file)
            if ":" not in user_password:
                raise LiveError(f"--basic-auth-file {self.basic_auth_file}: expected one line `user:password`")
            return {"Authorization": "Basic " + base64.b64encode(user_password.encode()).decode()}
        return {}


def _first_line(path: Path) -> str:
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise LiveError(f"{path}: {e.strerror}") from None
    if not lines or not lines[0].strip():
        raise LiveError(f"{path}: empty")
    return lines[0].strip()


def display_url(url: str) -> str:
    """The URL without any ``user:password@``."""
    p = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(p._replace(netloc=p.hostname + (f":{p.port}" if p.port else ""))) if p.hostname else url


class LiveProm:
    """A read-only client of the Prometheus HTTP API."""

    def __init__(self, url: str, auth: Auth = Auth(), timeout: float = 30):
        p = urllib.parse.urlsplit(url)
        if p.scheme not in ("http", "https") or not p.hostname:
            raise LiveError(f"--prometheus-url {display_url(url)!r}: expected http(s)://host[:port][/path]")
        self.base = self.shown = display_url(url).rstrip("/")
        self.headers = auth.headers()
        if p.username is not None:  # user:password@ in the URL: sent as basic auth, never shown
            self.headers = {"Authorization": "Basic " + base64.b64encode(
                f"{urllib.parse.unquote(p.username)}:{urllib.parse.unquote(p.password or '')}".encode()).decode()}
        self.context = ssl.create_default_context(cafile=str(auth.ca_file)) if auth.ca_file else None
        self.timeout = timeout

    def get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode(params, doseq=True)
        req = urllib.request.Request(f"{self.base}{path}" + (f"?{query}" if query else ""), headers=self.headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self.context) as resp:
                body = json.loads(resp.read())
        except urllib.error.HTTPError as e:
            detail = e.read()[:300].decode(errors="replace")
            if e.code in (401, 403):
                raise LiveError(f"{self.shown}{path}: HTTP {e.code} (check --bearer-token-file / --basic-auth-file)") from None
            try:
                detail = json.loads(detail).get("error", detail)
            except ValueError:
                pass
            raise LiveError(f"{self.shown}{path}: HTTP {e.code}: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise LiveError(f"{self.shown}{path}: {reason}") from None
        if body.get("status") != "success":
            raise LiveError(f"{self.shown}{path}: {body.get('error', body)}")
        return body

    def query(self, expr: str) -> list:
        return self.get("/api/v1/query", query=expr)["data"]["result"]


# --- what the stack declares ---------------------------------------------------------------------------


@dataclass
class Pool:
    """One scrape pool the stack declares."""

    name: str
    what: str
    """How a user names it: ``ServiceMonitor monitoring/inference-chat``, ``scrape job triton``."""
    kind: str = ""
    """``ServiceMonitor``, ``PodMonitor`` or ``""`` (a scrape job)."""
    namespace: str = ""
    """Namespace the monitor selects in."""
    selector: dict[str, str] = field(default_factory=dict)
    port: str = ""
    keep: str = ""
    """The ``__name__`` keep regex of ``metrics.keep: used``, if any."""


@dataclass
class Declared:
    pools: list[Pool]
    groups: dict[str, list[dict[str, Any]]]
    """Rule group -> its rules, as rendered."""
    group_source: dict[str, str]
    """Rule group -> where it is declared (``PrometheusRule monitoring/infermon-vllm``)."""
    dashboards: list[dict[str, Any]]
    services: dict[str, tuple[str, str]]
    """Inference service or managed endpoint -> (kind, metric prefix)."""

    @property
    def records(self) -> list[str]:
        return sorted({r["record"] for rules in self.groups.values() for r in rules if "record" in r})

    @property
    def alerts(self) -> set[str]:
        return {r["alert"] for rules in self.groups.values() for r in rules if "alert" in r}


def _keep_regex(relabels: list[dict[str, Any]]) -> str:
    """The keep-list of ``metrics.keep: used``: a keep on ``__name__`` of exact names (other keeps,
    like Arks' runtime-prefix filter, select by pattern)."""
    for r in reversed(relabels):
        if (r.get("action") == "keep" and (r.get("source_labels") or r.get("sourceLabels")) == ["__name__"]
                and re.fullmatch(r"[A-Za-z0-9_:|\\]+", r["regex"])):
            return r["regex"]
    return ""


def declared(rendered: render.Rendered) -> Declared:
    files = rendered.files
    pools: list[Pool] = []
    if rendered.loaded.config.cluster.platform == "docker":
        for job in yaml.safe_load(files["prometheus/prometheus.yml"])["scrape_configs"]:
            pools.append(Pool(job["job_name"], f"scrape job {job['job_name']}", keep=_keep_regex(job.get("metric_relabel_configs", []))))
    else:
        for job in render.scrape_jobs(rendered.run):
            pools.append(Pool(job["job_name"], f"scrape job {job['job_name']}", keep=_keep_regex(job.get("metric_relabel_configs", []))))
    groups: dict[str, list[dict[str, Any]]] = {}
    source: dict[str, str] = {}
    for rel, text in sorted(files.items()):
        if rel.startswith("kubernetes/") and rel.endswith(".yaml"):
            obj = yaml.safe_load(text)
            kind, md = obj.get("kind"), obj.get("metadata", {})
            if kind in ("ServiceMonitor", "PodMonitor"):
                spec = obj["spec"]
                for i, ep in enumerate(spec.get("endpoints") or spec.get("podMetricsEndpoints")):
                    port = next((str(ep[k]) for k in ("port", "targetPort", "portNumber") if k in ep), "")
                    pools.append(Pool(pool_name(obj, i), f"{kind} {md['namespace']}/{md['name']}", kind, spec["namespaceSelector"]["matchNames"][0],
                                      dict(spec["selector"].get("matchLabels", {})), port, _keep_regex(ep.get("metricRelabelings", []))))
            elif kind == "PrometheusRule":
                for g in obj["spec"]["groups"]:
                    source[g["name"]] = f"PrometheusRule {md['namespace']}/{md['name']}"
        elif rel.startswith("prometheus/rules/"):
            for g in yaml.safe_load(text)["groups"]:
                groups[g["name"]] = g["rules"]
                source.setdefault(g["name"], f"rule file {Path(rel).name}")
    dashboards = [json.loads(t) for rel, t in sorted(files.items()) if rel.startswith("grafana/") and rel.endswith(".json")]
    services = {s.name: (s.kind, s.metric_prefix or "") for s in rendered.loaded.config.inference}
    services |= {e.name: (e.kind, "") for e in rendered.loaded.config.endpoints}
    return Declared(pools, groups, source, dashboards, services)


# --- targets ----------------------------------------------------------------------------------------------


def _selects(labels: dict[str, str], pool: Pool) -> bool:
    role = "service" if pool.kind == "ServiceMonitor" else "pod"
    return all(labels.get(f"__meta_kubernetes_{role}_label_{sanitize(k)}") == v for k, v in pool.selector.items())


def _ports(labels: dict[str, str]) -> str:
    for key in ("__meta_kubernetes_endpointslice_port_name", "__meta_kubernetes_endpoint_port_name", "__meta_kubernetes_pod_container_port_name",
                "__meta_kubernetes_pod_container_port_number"):
        if labels.get(key):
            return labels[key]
    return "?"


def why_empty(pool: Pool, dropped: list[dict[str, str]], known: bool) -> str:
    """Why a declared scrape pool has no active target, from what discovery found and dropped."""
    if not known:
        if pool.kind:
            return (f"{pool.what} is not loaded: Prometheus has no scrape pool {pool.name} (is the object applied, and does the "
                    "Prometheus' serviceMonitorSelector/podMonitorSelector select it?)")
        return f"{pool.what} is not loaded: Prometheus has no scrape pool {pool.name} (is the additional scrape config applied?)"
    if not pool.kind:
        return f"{pool.what} has no target"
    objects = "Service" if pool.kind == "ServiceMonitor" else "Pod"
    selector = ",".join(f"{k}={v}" for k, v in sorted(pool.selector.items()))
    matching = [d for d in dropped if _selects(d, pool)]
    if matching:
        ports = sorted({_ports(d) for d in matching})
        return (f"{pool.what} selects nothing: {objects}s in namespace {pool.namespace} match {selector} but none exposes port "
                f"{pool.port} (found: {', '.join(ports)})")
    return f"{pool.what} selects nothing: no {objects} in namespace {pool.namespace} matches {selector}"


def check_targets(prom: LiveProm, d: Declared) -> tuple[Check, dict[str, list[dict[str, Any]]]]:
    data = prom.get("/api/v1/targets")["data"]
    active: dict[str, list[dict[str, Any]]] = {}
    for t in data.get("activeTargets", []):
        active.setdefault(t["scrapePool"], []).append(t)
    dropped: dict[str, list[dict[str, str]]] = {}
    for t in data.get("droppedTargets", []):
        dropped.setdefault(t.get("scrapePool", ""), []).append(t.get("discoveredLabels", {}))
    known = set(active) | set(dropped) | set(data.get("droppedTargetCounts") or {})
    findings, up, total = [], 0, 0
    for pool in d.pools:
        targets = active.get(pool.name, [])
        if not targets:
            findings.append(why_empty(pool, dropped.get(pool.name, []), pool.name in known))
            continue
        for t in targets:
            total += 1
            if t["health"] == "up":
                up += 1
            else:
                findings.append(f"{pool.what}: {t['scrapeUrl']} {t['health']}: {t.get('lastError') or 'not scraped yet'}")
    mine = {p.name: active.get(p.name, []) for p in d.pools}
    return Check("targets", not findings, f"{up}/{total} targets of {len(d.pools)} declared jobs and monitors up", findings), mine


# --- panels -----------------------------------------------------------------------------------------------


LABEL_VALUES = re.compile(r"^label_values\((?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)$", re.S)


def substitute(expr: str, values: dict[str, str]) -> str:
    """A query with Grafana's variables replaced as Grafana sends them: ``$__rate_interval`` and
    friends by durations, ``$var`` by the selected values (All: the variable's ``allValue``)."""
    for var, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(var, value)
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace(f"${{{name}}}", values[name]).replace(f"${name}", values[name])
    return expr


def _regex_of(values: list[str]) -> str:
    """Values as a regex alternation, written for inside a PromQL string (as Grafana writes a
    multi-value variable: metacharacters escaped with a doubled backslash)."""
    return "|".join(re.sub(r"([\\.+*?^$()\[\]{}|])", r"\\\\\1", v) for v in values)


def _in_string(regex: str) -> str:
    """A regex (as written in a relabel config) inside a PromQL double-quoted string."""
    return regex.replace("\\", "\\\\").replace('"', '\\"')


def enumerate_variables(prom: LiveProm, dashboard: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """Each variable's live values (query variables through the label-values API, in order, each
    with the earlier ones substituted), the substitution Grafana makes when All is selected, and
    the findings: a visible variable with no values leaves every panel empty."""
    values: dict[str, list[str]] = {}
    chosen: dict[str, str] = {}
    findings = []
    for v in dashboard.get("templating", {}).get("list", []):
        name, typ = v["name"], v.get("type")
        if typ == "datasource":
            continue
        if typ == "custom":
            found = [x.strip() for x in str(v.get("query", "")).split(",") if x.strip()]
        elif typ == "query":
            q = v.get("query")
            q = q.get("query", "") if isinstance(q, dict) else q
            m = LABEL_VALUES.match(str(q).strip())
            if not m:
                continue
            selector, label = m.group(1), m.group(2)
            params: dict[str, Any] = {}
            if selector:
                params["match[]"] = substitute(selector, chosen)
            found = sorted(prom.get(f"/api/v1/label/{label}/values", **params)["data"])
            # with All as ".*", Grafana still selects All and every panel still matches: not a finding
            if not found and v.get("hide") != 2 and not (v.get("includeAll") and v.get("allValue") == ".*"):
                findings.append(f"{dashboard['uid']}: variable ${name} has no values ({q})")
        else:
            continue
        values[name] = found
        all_value = v.get("allValue")
        chosen[name] = all_value if v.get("includeAll") and all_value else _regex_of(found) or ".*"
    return chosen, values, findings


def _name(sel: Any) -> str:
    if sel.name:
        return sel.name
    names = [m.value for m in sel.matchers.matchers if m.name == "__name__"]
    return names[0] if names else ""


def similar(name: str, names: set[str], queried: set[str]) -> list[str]:
    """Names the server exposes that may be ``name`` renamed: with a prefix added or removed, or
    close in spelling (difflib). Names the stack itself queries are not offered."""
    suffix = next((x for x in ("_bucket", "_count", "_sum", "_total") if name.endswith(x)), "")
    pool = sorted(n for n in names - queried if n.endswith(suffix))
    prefixed = [n for n in pool if n != name and (n.endswith(name) or name.endswith(n)) and len(min(n, name, key=len)) > 6]
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.75)
    return list(dict.fromkeys(prefixed + close))[:3]


def why_panel_empty(prom: LiveProm, exprs: list[str], names: set[str], queried: set[str], relevant: Optional[set[str]] = None) -> str:
    """Why a panel has no data: a series name no server exposes (and the similar names that do
    exist), a series with no current samples, or a selector that matches none of the series; in
    that order of weight. ``relevant``: only these names (the kind of the service being looked at)."""
    missing, stale, unmatched = [], [], []
    for expr in exprs:
        try:
            sels = selectors(expr)
        except Exception:  # noqa: BLE001 - the server's parser has the last word
            continue
        for sel in sels:
            name = _name(sel)
            if relevant is not None and name not in relevant:
                continue
            if name and name not in names:
                near = similar(name, names, queried)
                missing.append(f"no series named {name}" + (f" (the server has {', '.join(near)})" if near else ""))
            elif name and not prom.query(f'count({{__name__="{name}"}})'):
                stale.append(f"no current series of {name} (its targets down?)")
            elif not prom.query(f"count({sel})"):
                unmatched.append(f"{name or sel} has series, none matching {sel}")
    for found in (missing, stale, unmatched):
        if found:
            return "; ".join(dict.fromkeys(found))
    return "every series it reads exists; the expression itself returns nothing now"


def _answers(prom: LiveProm, exprs: list[str]) -> Optional[str]:
    """None when one of the queries returns data; otherwise the reason to look for (``""``) or
    the server's refusal."""
    for e in exprs:
        try:
            if prom.query(e):
                return None
        except LiveError as err:
            return f"query rejected: {err}"
    return ""


def _panels(dash: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(``uid / row / title``, panel) of every panel, collapsed rows included."""
    out, row = [], ""
    for p in dash.get("panels", []):
        if p.get("type") == "row":
            row = p.get("title", "")
            out += [(f"{dash['uid']} / {row} / {q.get('title', '')}", q) for q in p.get("panels", [])]
            continue
        out.append((f"{dash['uid']} / {row + ' / ' if row else ''}{p.get('title', '')}", p))
    return out


def _panel_names(p: dict[str, Any]) -> set[str]:
    return {n for t in p.get("targets", []) if t.get("expr") for n in metric_names(t["expr"])}


def check_panels(prom: LiveProm, d: Declared, progress: Callable[[str], None]) -> tuple[Check, Check, tuple[int, int]]:
    """Every panel at All; then, on dashboards with a ``$service`` variable, every panel that
    reads the kind of a declared service with that service selected."""
    from ..catalog import KINDS
    from ..catalog.base import OWN_SERIES

    names = set(prom.get("/api/v1/label/__name__/values")["data"])
    queried = {n for dash in d.dashboards for _, p in _panels(dash) for n in _panel_names(p)}
    empty, var_findings, panels, views = [], [], 0, 0
    for dash in d.dashboards:
        chosen, values, findings = enumerate_variables(prom, dash)
        var_findings += findings
        services = [s for s in values.get("service", []) if s in d.services]
        if "service" in values:
            var_findings += _missing_services(dash, values["service"], d.services)
        for label, p in _panels(dash):
            panels += 1
            exprs = [substitute(t["expr"], chosen) for t in p.get("targets", []) if t.get("expr")]
            why = _answers(prom, exprs)
            if why is not None:
                empty.append(f"{label}: {why or why_panel_empty(prom, exprs, names, queried)}")
                continue
            read = _panel_names(p) - set(OWN_SERIES)
            for svc in services:
                kind, prefix = d.services[svc]
                catalog = {prefix + n for n in KINDS[kind].series_names()} if kind in KINDS else None
                if catalog is not None and read and not read & catalog:
                    continue  # a panel of another kind on a shared dashboard
                views += 1
                exprs = [substitute(t["expr"], chosen | {"service": _regex_of([svc])}) for t in p.get("targets", []) if t.get("expr")]
                why = _answers(prom, exprs)
                if why is not None:
                    empty.append(f"{label} [service={svc}]: {why or why_panel_empty(prom, exprs, names, queried, catalog)}")
    answering = panels - len({e.split(' [service=')[0].split(': ')[0] for e in empty})
    progress(f"{answering}/{panels} panels answer")
    return (Check("dashboard variables", not var_findings, f"every variable of {len(d.dashboards)} dashboards has values"
                  if not var_findings else f"{len(var_findings)} variables without the values they need", var_findings),
            Check("dashboard panels answer", not empty, f"{answering}/{panels} panels return data, at All and in {views} views of one "
                  "declared service", empty),
            (answering, panels))


def _missing_services(dash: dict[str, Any], offered: list[str], services: dict[str, tuple[str, str]]) -> list[str]:
    """Declared services the dashboard's ``$service`` dropdown does not offer."""
    var = next(v for v in dash["templating"]["list"] if v["name"] == "service")
    q = var.get("query")
    m = LABEL_VALUES.match(str(q.get("query", "") if isinstance(q, dict) else q).strip())
    if not m or not m.group(1):
        return []
    kinds: Optional[re.Pattern] = None
    for sel in selectors(substitute(m.group(1), {"namespace": ".*", "cluster": ".*"})):
        for matcher in sel.matchers.matchers:
            if matcher.name == "inference_kind":
                kinds = re.compile(f"^(?:{matcher.value})$")
    if kinds is None:
        return []
    return [f"{dash['uid']}: service {s} ({k}) is not among $service's values (its up series lack service/inference_kind labels?)"
            for s, (k, _) in sorted(services.items()) if kinds.match(k) and s not in offered]


# --- rules, alerts, cardinality ------------------------------------------------------------------------------


def check_rules(prom: LiveProm, d: Declared) -> tuple[Check, Check]:
    loaded: dict[str, list[dict[str, Any]]] = {}
    for g in prom.get("/api/v1/rules")["data"]["groups"]:
        loaded.setdefault(g["name"], []).extend(g["rules"])
    findings, unloaded = [], 0
    for group, rules in sorted(d.groups.items()):
        if group not in loaded:
            unloaded += 1
            findings.append(f"rule group {group} is not loaded ({d.group_source[group]} missing, or not selected by the Prometheus' ruleSelector)")
            continue
        have: dict[str, int] = {}
        for r in loaded[group]:
            have[r["name"]] = have.get(r["name"], 0) + 1
            if r.get("health") not in ("ok", "unknown") or r.get("lastError"):
                error = r.get("lastError", "")
                findings.append(f"{group} / {r['name']}: health {r.get('health')}: {error[:160] + ' …' if len(error) > 160 else error}")
        want: dict[str, int] = {}
        for r in rules:
            n = r.get("record") or r.get("alert")
            want[n] = want.get(n, 0) + 1
        for n, c in sorted(want.items()):
            if have.get(n, 0) < c:
                findings.append(f"{group} / {n}: {c - have.get(n, 0)} of {c} declared rules not loaded (an older version of the rules?)")
    groups = Check("rule groups loaded", not findings, f"{len(d.groups) - unloaded}/{len(d.groups)} rule groups loaded"
                   + ("" if findings else ", every rule healthy"), findings)
    recording = sorted({(r["record"], tuple(sorted(r.get("labels", {}).items()))) for rules in d.groups.values() for r in rules if "record" in r})
    missing = []
    for record, labels in recording:
        selector = record + "{" + ", ".join(f'{k}="{_in_string(v)}"' for k, v in labels) + "}"
        if not prom.query(f"count({selector})"):
            missing.append(selector)
    records = Check("recording rules", not missing, f"{len(recording) - len(missing)}/{len(recording)} recording rules produce series", missing)
    return groups, records


def check_alerts(prom: LiveProm, d: Declared) -> Check:
    firing, pending = [], []
    for a in prom.get("/api/v1/alerts")["data"]["alerts"]:
        name = a["labels"].get("alertname", "")
        if name not in d.alerts:
            continue
        who = a["labels"].get("service") or a["labels"].get("gpu_pool") or a["labels"].get("job") or "fleet"
        line = f"{name} ({who}) since {a.get('activeAt', '?')}"
        (firing if a["state"] == "firing" else pending).append(line)
    detail = f"{len(firing)} of the stack's alerts firing" + (f", {len(pending)} pending" if pending else "")
    return Check("alerts firing", not firing, detail, sorted(firing) + [f"pending: {p}" for p in sorted(pending)])


def check_cardinality(prom: LiveProm, d: Declared, active: dict[str, list[dict[str, Any]]]) -> tuple[Check, dict[str, int]]:
    samples = {(r["metric"].get("job", ""), r["metric"].get("instance", "")): float(r["value"][1])
               for r in prom.query("scrape_samples_post_metric_relabeling")}
    findings, per_pool = [], {}
    own = set(d.records) | {"ALERTS", "ALERTS_FOR_STATE", "up"}
    for pool in d.pools:
        targets = active.get(pool.name, [])
        if not targets:
            continue
        keys = {(t["labels"].get("job", ""), t["labels"].get("instance", "")) for t in targets}
        series = int(sum(samples.get(k, 0) for k in keys))
        per_pool[pool.name] = series
        if pool.keep:
            jobs = _regex_of(sorted({j for j, _ in keys}))
            instances = _regex_of(sorted({i for _, i in keys}))
            extra = prom.query(f'count by (__name__) ({{job=~"{jobs}", instance=~"{instances}", __name__!~"{_in_string(pool.keep)}|scrape_.+"}})')
            extra = [r for r in extra if r["metric"].get("__name__") not in own]
            if extra:
                names = sorted(r["metric"].get("__name__", "") for r in extra)
                findings.append(f"{pool.what} keeps only the used series (metrics.keep: used), yet {int(sum(float(r['value'][1]) for r in extra))} "
                                f"series of {len(names)} other families are stored: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
    kept = [p for p in d.pools if p.keep and p.name in per_pool]
    detail = (f"{sum(per_pool.values())} series per scrape from {len(per_pool)} jobs; "
              + (f"{len(kept) - len(findings)}/{len(kept)} keep-list jobs store only the used series" if kept else "every job keeps all series (metrics.keep: all)"))
    return Check("series budget", not findings, detail, findings), per_pool


# --- the run -------------------------------------------------------------------------------------------------


def verify_live(rendered: render.Rendered, prom: LiveProm, progress: Callable[[str], None] = print) -> Report:
    report = Report(rendered.stack)
    build = prom.get("/api/v1/status/buildinfo")["data"]
    report.prometheus = f"prometheus {build.get('version', '?')} at {prom.shown}"
    progress(f"verify --live {rendered.stack}: {report.prometheus}")
    d = declared(rendered)
    targets, active = check_targets(prom, d)
    report.checks.append(targets)
    progress(f"verify --live {rendered.stack}: {targets.detail}")
    variables, panels, report.panels = check_panels(prom, d, lambda m: progress(f"verify --live {rendered.stack}: {m}"))
    report.checks += [variables, panels]
    groups, records = check_rules(prom, d)
    report.checks += [groups, records]
    progress(f"verify --live {rendered.stack}: {groups.detail}; {records.detail}")
    report.checks.append(check_alerts(prom, d))
    budget, report.series_by_job = check_cardinality(prom, d, active)
    report.checks.append(budget)
    report.head_series = int(prom.get("/api/v1/status/tsdb")["data"]["headStats"]["numSeries"])
    return report
