"""The shape of a Datadog metric monitor query, checked before anything reaches Datadog.

``time_aggr(window):space_aggr:metric{tags} by {groups}[.as_count()|.as_rate()] op N``, where
the part between ``:`` and ``op`` may combine such terms with + - * / , numbers and parentheses,
and ``time_aggr`` may be ``change(aggr(window),window)``.
"""

from __future__ import annotations

import re

WINDOW = r"last_\d+[mhd]"
TIME = rf"(?:(?:avg|sum|min|max)\({WINDOW}\)|change\((?:avg|sum|min|max)\({WINDOW}\),{WINDOW}\))"
TAG = r"!?[a-z_][a-z0-9_.:/*\-]*"
TERM = re.compile(rf"(?:avg|sum|min|max|p(?:50|75|90|95|99)):([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\{{{TAG}(?:,{TAG})*\}} by \{{[a-z_]+(?:,[a-z_]+)*\}}(?:\.as_count\(\)|\.as_rate\(\))?")
ARITH = re.compile(r"^[T0-9.()+\-*/ ]+$")
QUERY = re.compile(rf"^({TIME}):(.+) (>|<|>=|<=) (-?[0-9]+(?:\.[0-9]+)?)$")


def check(query: str) -> list[str]:
    """Problems with a monitor query (empty when it has the expected shape)."""
    m = QUERY.match(query)
    if not m:
        return [f"not of the form time_aggr(window):expression op N: {query}"]
    expr = m.group(2)
    reduced = TERM.sub("T", expr)
    problems = []
    if "T" not in reduced or not ARITH.match(reduced) or "TT" in reduced.replace(" ", ""):
        problems.append(f"expression is not terms combined arithmetically: {expr}")
    if reduced.count("(") != reduced.count(")"):
        problems.append(f"unbalanced parentheses: {expr}")
    return problems


def metrics(query: str) -> list[str]:
    return [m.group(1) for m in TERM.finditer(query)]


SERVICE_CHECK = re.compile(r'^"(?P<name>[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"\.over\((?P<over>"[^"]+"(?:,"[^"]+")*)\)'
                           r'\.by\((?P<by>"[^"]+"(?:,"[^"]+")*)\)\.last\((?P<last>[0-9]+)\)\.count_by_status\(\)$')


def check_service_check(query: str) -> list[str]:
    """Problems with a service check monitor query: ``"check".over("tag",…).by("tag",…).last(N).count_by_status()``."""
    return [] if SERVICE_CHECK.match(query) else [f'not of the form "check".over(tags).by(tags).last(N).count_by_status(): {query}']
