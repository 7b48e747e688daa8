"""Scenario ids are stable: every id ever published is still in the catalog, on the same layer."""

from __future__ import annotations

from exitwrap.scenarios.catalog import BY_ID, SCENARIOS
from tests.conftest import REPO

PUBLISHED = REPO / "tests" / "scenario_ids.txt"


def _published() -> dict[str, str]:
    lines = PUBLISHED.read_text(encoding="utf-8").splitlines()
    return dict(line.split() for line in lines if line and not line.startswith("#"))


def test_no_published_scenario_id_is_renamed_or_removed() -> None:
    published = _published()
    assert len(published) >= 94  # the ids DESIGN.md's families had when the list began
    missing = sorted(set(published) - set(BY_ID))
    assert missing == []
    moved = {
        i: (layer, BY_ID[i].layer) for i, layer in published.items() if BY_ID[i].layer != layer
    }
    assert moved == {}


def test_every_scenario_id_is_published() -> None:
    """A new scenario is added to the list too, so the next change cannot drop it unseen."""
    assert sorted({s.id for s in SCENARIOS} - set(_published())) == []
