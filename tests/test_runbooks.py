"""Every alert's runbook_url has a page: what the alert means and the first thing to check."""

from __future__ import annotations

from conftest import ROOT

from components.alerts.runbooks import RUNBOOKS, runbook_files
from components.alerts.specs import ALL_NAMES


def test_every_alert_has_a_runbook_and_every_runbook_an_alert():
    assert set(RUNBOOKS) == set(ALL_NAMES)


def test_runbook_pages_are_named_as_the_runbook_url_ends():
    # _annotations: runbook_url = <alerts.runbookBaseUrl>/<alertname lowercase>
    assert set(runbook_files()) == {f"{name.lower()}.md" for name in ALL_NAMES}
    assert {p.name for p in (ROOT / "docs" / "runbooks").glob("*.md")} == set(runbook_files())
