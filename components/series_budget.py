"""The series budget: which series a service keeps when ``metrics.keep: used``.

Used series are those the catalog's signals reference (dashboards, recording and alerting
rules and Datadog monitors all take their queries from the signals), plus ``metrics.extra``.
The keep-list is a ``keep`` metric relabeling on the service's scrape job, applied after any
renaming relabelings (Arks), so it names series as stored.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Optional

from .catalog import KINDS
from .catalog.base import OWN_SERIES, REF
from .config import LoadedConfig
from .config import model as m


def used_series(kind: str) -> set[str]:
    """Exactly the series the kind's signals read (a histogram read only through its buckets
    keeps neither ``_sum`` nor ``_count``)."""
    return set(_used_series(kind))


@functools.lru_cache(maxsize=None)
def _used_series(kind: str) -> frozenset[str]:  # the catalog is constant: once per kind, not per service
    from .alerts.rules import LATENCY_HISTOGRAMS

    k = KINDS[kind]
    out: set[str] = set()
    if kind in LATENCY_HISTOGRAMS:  # latency SLO rules read the histogram's buckets and count
        hist = LATENCY_HISTOGRAMS[kind][0]
        out.update({f"{hist}_bucket", f"{hist}_count"})
    for s in k.signals:
        for alt in s.alternatives:
            for ref, _ in REF.findall(alt):
                if ref in OWN_SERIES:  # Prometheus' own, not scraped
                    continue
                k.metric(ref)  # must be a catalogued series
                out.add(ref)
    return frozenset(out)


def keep_mode(loaded: LoadedConfig, s: m.InferenceService) -> str:
    return s.metrics_keep or loaded.config.metrics.keep


def keep_rule(loaded: LoadedConfig, kind: str, prefix: str = "", camel: bool = False) -> Optional[dict[str, Any]]:
    """The keep relabeling for one kind (and metric prefix), or None when the kind has no catalog."""
    if kind not in KINDS:
        return None
    names = sorted({prefix + n for n in used_series(kind)} | set(loaded.config.metrics.extra))
    regex = "|".join(re.escape(n) for n in names)
    if camel:
        return {"action": "keep", "sourceLabels": ["__name__"], "regex": regex}
    return {"action": "keep", "source_labels": ["__name__"], "regex": regex}
