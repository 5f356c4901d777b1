"""The other Pythons' run (tools/pythons.py), started in the background by _other_pythons.py."""

from __future__ import annotations

import pytest

from ._other_pythons import PLUGIN_NAME, OtherPythons, Outcome


@pytest.fixture
def other_pythons(request: pytest.FixtureRequest) -> Outcome:
    plugin = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(plugin, OtherPythons)
    return plugin.outcome()
