"""PromQL as the real parser sees it (promql-parser), for checks of rendered queries."""

from __future__ import annotations

import promql_parser

GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m"}


def parse(expr: str):
    """Parse a query; Grafana's interval variables are replaced by durations first."""
    for var, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(var, value)
    return promql_parser.parse(expr)


def selectors(expr: str) -> list:
    """Every vector selector of the query, in order (``str()`` of one is its PromQL text)."""
    out: list = []
    promql_parser.walk(parse(expr), lambda n: out.append(n) if isinstance(n, promql_parser.VectorSelector) else None)
    return out


def metric_names(expr: str) -> set[str]:
    """Every metric name the query selects (by name or ``__name__`` matcher alternatives)."""
    names: set[str] = set()

    def visit(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for m in node.matchers.matchers:
                if m.name == "__name__":
                    names.update(m.value.split("|"))

    promql_parser.walk(parse(expr), visit)
    return names
