"""config.reader: errors name the key path; a ConfigError passes through unchanged."""

import pytest

from ml_data_platform.config.reader import ConfigError, Reader, reported_at


def _raise(error):
    raise error


def test_reported_at_re_raises_a_config_error_unchanged():
    """A ConfigError already names its own path: it is neither swallowed (which would return
    None) nor given a second path."""
    original = ConfigError("root.inner.key: must be an integer, got str 'x'")
    with pytest.raises(ConfigError) as raised:
        reported_at("root.outer", lambda: _raise(original))
    assert raised.value is original
    assert str(raised.value) == "root.inner.key: must be an integer, got str 'x'"


@pytest.mark.parametrize("error", [ValueError("bad value"), TypeError("bad type")])
def test_reported_at_puts_other_errors_at_the_path_with_the_context(error):
    with pytest.raises(ConfigError) as raised:
        reported_at("root.key", lambda: _raise(error), context=" (because)")
    assert str(raised.value) == f"root.key: {error} (because)"
    assert raised.value.__cause__ is error


def test_reported_at_returns_what_build_returns():
    assert reported_at("root.key", lambda: 42) == 42


def test_wrap_reports_at_the_child_key():
    reader = Reader({"size": 3}, "root")
    with pytest.raises(ConfigError, match=r"^root\.size: too big$"):
        reader.wrap("size", lambda: _raise(ValueError("too big")))
    original = ConfigError("root.size.inner: no")
    with pytest.raises(ConfigError) as raised:
        reader.wrap("size", lambda: _raise(original))
    assert raised.value is original


# Exact messages and the typo hints' rules (gaps a mutation run found).


def test_a_value_that_is_not_an_object_is_described_in_the_message():
    with pytest.raises(ConfigError) as raised:
        Reader(["a"], "root.section")
    assert str(raised.value) == "root.section: must be an object, got list ['a']"


def test_a_wrong_type_names_the_key_the_expected_type_and_the_value():
    reader = Reader({"count": "3", "ratio": "0.5"}, "root")
    with pytest.raises(ConfigError) as raised:
        reader.required("count", int)
    assert str(raised.value) == "root.count: must be an integer, got str '3'"
    # A type without a friendly name is named by its class name.
    with pytest.raises(ConfigError) as raised:
        reader.required("ratio", float)
    assert str(raised.value) == "root.ratio: must be float, got str '0.5'"


def test_only_the_nearest_allowed_key_is_suggested():
    reader = Reader({"colour": "blue"}, "root")
    reader.optional("color", str, None)
    reader.optional("colours", str, None)
    with pytest.raises(ConfigError) as raised:
        reader.done()
    # 'colours' (ratio 0.92) beats 'color' (0.91): one suggestion, the nearest.
    assert str(raised.value) == (
        "root: unknown keys ['colour'] (did you mean 'colour' -> 'colours'?); "
        "allowed: ['color', 'colours']"
    )


def test_a_key_less_similar_than_the_cutoff_gets_no_suggestion():
    reader = Reader({"descr": "x"}, "root")
    reader.optional("description", str, None)  # difflib ratio 0.625 < 0.75
    with pytest.raises(ConfigError) as raised:
        reader.done()
    assert str(raised.value) == "root: unknown keys ['descr']; allowed: ['description']"


def test_several_typos_are_each_suggested():
    reader = Reader({"strem": {}, "lifecycel": {}}, "root")
    reader.child("stream")
    reader.child("lifecycle")
    with pytest.raises(ConfigError) as raised:
        reader.done()
    assert str(raised.value) == (
        "root: unknown keys ['lifecycel', 'strem'] (did you mean 'lifecycel' -> 'lifecycle', "
        "'strem' -> 'stream'?); allowed: ['lifecycle', 'stream']"
    )
