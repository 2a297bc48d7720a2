"""Layout helpers shared by every dashboard: variables, panels, the JSON encoding.

Queries come from the signal catalog; this module only places them. A panel names one or
more catalog signals; each becomes one query, the ``or`` of that signal over every
*flavor* (kind x metric prefix) the stack runs, so one panel covers vLLM, SGLang and Arks
runtimes, both vLLM naming generations, and services re-exported under a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.builders import heatmap, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import heatmap as hm
from grafana_foundation_sdk.models import prometheus as pm

from components import fastjson
from components.catalog import KINDS, Kind, join_or, render_signal

DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid="${datasource}")
TAG = "infermon"
ALL = ".*"


@dataclass(frozen=True)
class Flavor:
    kind: Kind
    prefix: str = ""


@dataclass(frozen=True)
class Panel:
    signals: tuple[str, ...]
    """Catalog signal names, one query each (title, unit and description from the first)."""
    title: Optional[str] = None
    viz: str = "timeseries"
    width: int = 8
    height: int = 8


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


def P(*signals: str, title: Optional[str] = None, viz: str = "timeseries", width: int = 8) -> Panel:  # noqa: N802 (layout shorthand)
    return Panel(tuple(signals), title, viz, width)


def health_row() -> Row:
    """The first row of every per-service dashboard: is it up, is anything firing, and its rate,
    errors and latency, without scrolling."""
    return Row("Health", (
        P("targets_down", viz="stat", width=4),
        P("alerts_firing", viz="stat", width=4),
        P("request_rate", viz="stat", width=4),
        P("error_ratio", viz="stat", width=6),
        P("latency", viz="stat", width=6),
    ))


@dataclass
class Context:
    """What a dashboard is built from: the flavors it covers and how queries select series."""

    flavors: list[Flavor]
    selector: dict[str, str]
    platform: str = "generic"
    """``cluster.platform``: on docker, variables use no Kubernetes label."""
    alert_thresholds: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    """(kind, signal) -> (comparison, threshold) of the stack's alert on that signal: its panel
    turns red where the alert would fire."""
    multi_cluster: bool = False
    """``grafana.multiCluster``: show the Cluster variable."""
    _next_id: int = field(default=1)

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def expr(self, signal_name: str) -> Optional[str]:
        exprs: list[str] = []
        for f in self.flavors:
            sig = f.kind.signal(signal_name)
            if sig is not None:
                exprs += render_signal(f.kind, sig, self.selector, f.prefix)
        return join_or(exprs) if exprs else None

    def signal(self, signal_name: str):
        for f in self.flavors:
            sig = f.kind.signal(signal_name)
            if sig is not None:
                return sig
        raise KeyError(f"no flavor of this dashboard has signal {signal_name!r}")

    def key_selector(self, extra: str = "") -> str:
        """A series selector matching the key metric of every flavor."""
        names = sorted({f.prefix + f.kind.key_metric for f in self.flavors})
        inner = f'__name__=~"{"|".join(names)}"' if len(names) > 1 else f'__name__="{names[0]}"'
        return "{" + inner + (", " + extra if extra else "") + "}"


def thresholds(steps: tuple[tuple[float, str], ...], base: str = "green") -> db.ThresholdsConfig:
    return db.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE).steps(
        [dm.Threshold(value=None, color=base)] + [dm.Threshold(value=v, color=c) for v, c in steps]
    )


def panel_thresholds(ctx: "Context", signal_name: str, own: tuple[tuple[float, str], ...]) -> db.ThresholdsConfig:
    """The alert's threshold where an alert reads this signal (red above it, or below it for a
    ``<`` alert such as a success ratio), else the signal's own steps."""
    alert = next((ctx.alert_thresholds[(f.kind.name, signal_name)] for f in ctx.flavors
                  if (f.kind.name, signal_name) in ctx.alert_thresholds), None)
    if alert is None:
        return thresholds(own)
    op, value = alert
    return thresholds(((value, "green"),), base="red") if op.startswith("<") else thresholds(((value, "red"),))


def build_panel(ctx: Context, spec: Panel):
    first = ctx.signal(spec.signals[0])
    queries = [(ctx.signal(name), expr) for name in spec.signals if (expr := ctx.expr(name)) is not None]
    # several queries: the description covers each, and legends that would read the same name their signal
    description = first.description if len(queries) < 2 else " ".join(f"{sig.title}: {sig.description}" for sig, _ in queries)
    legends = [sig.legend or "__auto" for sig, _ in queries]
    if len(set(legends)) < len(legends):
        legends = [f"{legend} {sig.title}" for legend, (sig, _) in zip(legends, queries)]
    if spec.viz == "heatmap":  # Prometheus buckets as they are: one row per le, no re-bucketing by Grafana
        builder = (heatmap.Panel().calculate(False).unit(first.unit).y_axis(heatmap.YAxisConfig().unit(first.unit))
                   .color(heatmap.HeatmapColorOptions().mode(hm.HeatmapColorMode.SCHEME).scheme("Oranges").scale(hm.HeatmapColorScale.EXPONENTIAL).exponent(0.5)))
    else:
        builder = (stat.Panel() if spec.viz == "stat" else timeseries.Panel()).unit(first.unit).thresholds(
            panel_thresholds(ctx, spec.signals[0], first.thresholds))
    builder = (
        builder.id(ctx.next_id())
        .title(spec.title or first.title)
        .description(description)
        .datasource(DATASOURCE)
        .span(spec.width)
        .height(spec.height)
    )
    for ref, (_, expr), legend in zip("ABCDEFGHIJ", queries, legends):
        query = prom.Dataquery().ref_id(ref).expr(expr).legend_format(legend)
        if spec.viz == "heatmap":
            query = query.format(pm.PromQueryFormat.HEATMAP)
        builder = builder.with_target(query)
    return builder


def datasource_variable() -> db.DatasourceVariable:
    return db.DatasourceVariable("datasource").label("Data source").type("prometheus")


def query_variable(name: str, label: str, query: str) -> db.QueryVariable:
    return (
        db.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .multi(True)
        .include_all(True)
        .all_value(ALL)
        .current(dm.VariableOption(selected=True, text="All", value="$__all"))
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
    )


def cluster_variable(ctx: "Context") -> db.QueryVariable:
    """``cluster`` is an external label: a global view (a long-term store) has it, the stack's own
    Prometheus does not, where the hidden variable's "All" (.*) matches every series. Shown only when
    the stack's Grafana looks at several clusters (``grafana.multiCluster``), as kubernetes-mixin's
    ``showMultiCluster`` does."""
    v = query_variable("cluster", "Cluster", "label_values(up, cluster)")
    return v if ctx.multi_cluster else v.hide(dm.VariableHide.HIDE_VARIABLE)


def namespace_variable(kinds: str) -> db.QueryVariable:
    """Namespaces of in-cluster services of these kinds (static targets have none: "All" keeps them)."""
    return query_variable("namespace", "Namespace", f'label_values(up{{inference_kind=~"{kinds}"}}, namespace)')


def inference_variables(ctx: Context, kinds: str, model_label: str) -> list:
    """Data source, cluster, namespace (not on docker), service and model variables of a per-kind dashboard."""
    op = "=~" if "|" in kinds else "="
    model = query_variable("model", "Model", "label_values(" + ctx.key_selector('service=~"$service"') + f", {model_label})")
    if ctx.platform == "docker":
        return [datasource_variable(), cluster_variable(ctx),
                query_variable("service", "Service", f'label_values(up{{inference_kind{op}"{kinds}"}}, service)'), model]
    return [
        datasource_variable(),
        cluster_variable(ctx),
        namespace_variable(kinds),
        query_variable("service", "Service", f'label_values(up{{inference_kind{op}"{kinds}", namespace=~"$namespace"}}, service)'),
        model,
    ]


def dashboard(uid: str, title: str, description: str, tags: list[str], ctx: Context, variables: list, rows: list[Row]) -> db.Dashboard:
    d = (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG] + tags)
        .refresh("1m")
        .time("now-3h", "now")
        .timezone("browser")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .link(db.DashboardLink("infermon dashboards").type(dm.DashboardLinkType.DASHBOARDS).tags([TAG])
              .as_dropdown(True).include_vars(False).keep_time(True))
    )
    for v in variables:
        d = d.with_variable(v)
    for row in rows:
        built = [build_panel(ctx, p) for p in row.panels if any(ctx.expr(s) for s in p.signals)]
        if not built:
            continue
        d = d.with_row(db.Row(row.title).id(ctx.next_id()))
        for panel in built:
            d = d.with_panel(panel)
    return d


def to_json(d: db.Dashboard) -> str:
    return fastjson.dumps(d.build(), default=JSONEncoder().default) + "\n"


def kinds(*names: str) -> list[Kind]:
    return [KINDS[n] for n in names]
