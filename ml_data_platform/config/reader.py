"""A strict reader for JSON-like config: every error names the key path."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from difflib import get_close_matches
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = object()
_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    dict: "an object",
    list: "a list",
}


class ConfigError(ValueError):
    """Invalid configuration; the message starts with the key path."""


class Reader:
    """Reads one JSON object at ``path``; call :meth:`done` to reject unknown keys."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: must be an object, got {_describe(value)}")
        self._value = value
        self._path = path
        self._seen: set[str] = set()

    def has(self, key: str) -> bool:
        """Whether ``key`` is present (and not null)."""
        return self._value.get(key) is not None

    def is_object(self, key: str) -> bool:
        """Whether the value at ``key`` is an object (for keys that take a name or an object)."""
        return isinstance(self._value.get(key), Mapping)

    def required(self, key: str, kind: type[T]) -> T:
        value = self._get(key, _MISSING)
        if value is _MISSING:
            raise ConfigError(f"{self.at(key)}: missing required key{self._typo_of(key)}")
        return self._typed(key, value, kind)

    def optional(self, key: str, kind: type[T], default: T) -> T:
        value = self._get(key, None)
        return default if value is None else self._typed(key, value, kind)

    def integer(self, key: str, default: T, *, minimum: int, maximum: int | None = None) -> int | T:
        """An optional integer at ``key`` within the inclusive bounds; the error gives the rule."""
        value = self.optional(key, int, None)
        if value is None:
            return default
        if value < minimum or (maximum is not None and value > maximum):
            rule = f"≥ {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise ConfigError(f"{self.at(key)}: must be {rule}, got {value}")
        return value

    def child(self, key: str, *, required: bool = False) -> Reader:
        """A reader for the object at ``key`` (an empty one when absent and optional)."""
        value = self._get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise ConfigError(f"{self.at(key)}: missing required key{self._typo_of(key)}")
            value = {}
        return Reader(value, self.at(key))

    def items(self) -> list[tuple[str, Reader]]:
        """Every key as a child reader (for maps such as ``environments``)."""
        self._seen.update(self._value)
        return [(key, Reader(value, self.at(key))) for key, value in self._value.items()]

    def readers(self, key: str) -> list[Reader]:
        """Child readers for a list of objects at ``key`` (empty when absent)."""
        values = self.optional(key, list, [])
        return [Reader(value, f"{self.at(key)}[{i}]") for i, value in enumerate(values)]

    def convert(self, key: str, parse: Callable[[Any], T], default: T, expected: str) -> T:
        """Read ``key`` and convert it with ``parse``; a failure names ``expected``."""
        value = self._get(key, None)
        if value is None:
            return default
        try:
            return parse(value)
        except (ValueError, TypeError, KeyError) as error:
            raise ConfigError(f"{self.at(key)}: {value!r} is not {expected}") from error

    def wrap(self, key: str, build: Callable[[], T]) -> T:
        """Run ``build``; a ``ValueError``/``TypeError`` it raises is reported at ``key``."""
        return reported_at(self.at(key), build)

    def done(self) -> None:
        unknown = sorted(set(self._value) - self._seen)
        if unknown:
            hints = [
                f"{key!r} -> {match!r}"
                for key in unknown
                for match in _nearest(key, self._seen - set(self._value))
            ]
            suggestion = f" (did you mean {', '.join(hints)}?)" if hints else ""
            raise ConfigError(
                f"{self._path}: unknown keys {unknown}{suggestion}; allowed: {sorted(self._seen)}"
            )

    def _typo_of(self, key: str) -> str:
        """`` (found 'enviroments': a typo?)`` when an unread key is close to ``key``."""
        close = [k for k in self._value if k not in self._seen and key in _nearest(k, [key])]
        return f" (found {close[0]!r}: a typo of {key!r}?)" if close else ""

    def at(self, key: str) -> str:
        return f"{self._path}.{key}"

    def _get(self, key: str, default: Any) -> Any:
        self._seen.add(key)
        return self._value.get(key, default)

    def _typed(self, key: str, value: object, kind: type[T]) -> T:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(
                f"{self.at(key)}: must be {_TYPE_NAMES.get(kind, kind.__name__)}, "
                f"got {_describe(value)}"
            )
        return value


def reported_at(path: str, build: Callable[[], T], *, context: str = "") -> T:
    """Run ``build``; a ``ValueError``/``TypeError`` it raises becomes a ``ConfigError`` at
    ``path`` (with ``context`` appended, e.g. why the rule applies)."""
    try:
        return build()
    except ConfigError:
        raise
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{path}: {error}{context}") from error


def _nearest(key: str, allowed: Iterable[str]) -> list[str]:
    """The allowed key closest to ``key`` (difflib's ratio ≥ 0.75), if any."""
    return get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r:.60}"
