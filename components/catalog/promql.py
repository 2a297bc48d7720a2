"""PromQL as the real parser sees it (promql-parser), for checks of rendered queries."""

from __future__ import annotations

from typing import Iterator

import promql_parser

GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m"}


def parse(expr: str):
    """Parse a query; Grafana's interval variables are replaced by durations first."""
    for var, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(var, value)
    return promql_parser.parse(expr)


def nodes(node) -> Iterator:
    """Every node of a parsed query, in the order ``promql_parser.walk`` visits them (pre-order,
    an aggregation's parameter before its operand). ``walk`` calls back into Python for each node
    and costs a render's dashboard check three times its parsing; reading the children here does
    not. ``tests/test_catalog.py`` compares the two on every query infermon renders."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        children = _CHILDREN[type(n)](n)
        if children:
            stack.extend(reversed(children))


_CHILDREN = {
    promql_parser.AggregateExpr: lambda n: [c for c in (n.param, n.expr) if c is not None],
    promql_parser.BinaryExpr: lambda n: [n.lhs, n.rhs],
    promql_parser.Call: lambda n: list(n.args),
    promql_parser.ParenExpr: lambda n: [n.expr],
    promql_parser.UnaryExpr: lambda n: [n.expr],
    promql_parser.SubqueryExpr: lambda n: [n.expr],
    promql_parser.MatrixSelector: lambda n: [n.vector_selector],
    promql_parser.VectorSelector: lambda n: None,
    promql_parser.NumberLiteral: lambda n: None,
    promql_parser.StringLiteral: lambda n: None,
}
"""Each node type's children (a node type missing here is a KeyError: a parser upgrade to look at)."""


def selectors(expr: str) -> list:
    """Every vector selector of the query, in order (``str()`` of one is its PromQL text)."""
    return [n for n in nodes(parse(expr)) if type(n) is promql_parser.VectorSelector]


def metric_names(expr: str) -> set[str]:
    """Every metric name the query selects (by name or ``__name__`` matcher alternatives)."""
    names: set[str] = set()
    for node in selectors(expr):
        if node.name:
            names.add(node.name)
        for m in node.matchers.matchers:
            if m.name == "__name__":
                names.update(m.value.split("|"))
    return names
