"""A typo of a config key is named with the key it probably meant, wherever keys are read."""

from __future__ import annotations

import pytest

from ml_data_platform.config import ConfigError, all_environments, settings_from_context

DATASET = {"name": "events", "columns": [{"name": "id", "type": "string"}]}


def test_a_typo_of_a_required_key_names_the_typo():
    with pytest.raises(
        ConfigError,
        match=r"^ml-data-platform\.environments: missing required key \(found 'enviroments': a "
        r"typo of 'environments'\?\)$",
    ):
        all_environments({"ml-data-platform": {"enviroments": {"dev": {"datasets": [DATASET]}}}})


def test_an_unknown_key_suggests_the_nearest_allowed_one():
    context = {"ml-data-platform": {"environments": {"dev": {"datasets": [DATASET], "strem": {}}}}}
    with pytest.raises(
        ConfigError,
        match=r"^ml-data-platform\.environments\.dev: unknown keys \['strem'\] \(did you mean "
        r"'strem' -> 'stream'\?\); allowed: \[",
    ):
        settings_from_context(context, "dev")


def test_an_unknown_key_far_from_every_allowed_one_gets_no_guess():
    dataset = {**DATASET, "zzz": 1}
    context = {"ml-data-platform": {"environments": {"dev": {"datasets": [dataset]}}}}
    with pytest.raises(ConfigError) as raised:
        settings_from_context(context, "dev")
    assert "unknown keys ['zzz']; allowed:" in str(raised.value)
    assert "did you mean" not in str(raised.value)
