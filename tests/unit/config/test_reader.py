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
