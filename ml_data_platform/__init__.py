"""ml-data-platform: AWS CDK constructs for an ML data platform.

Import single constructs (``from ml_data_platform import DataLakeBucket``) or the whole
platform (``MlDataPlatform`` / ``MlDataPlatformStage``). See docs/ for one page per construct.
"""

import ast
import importlib
from pathlib import Path
from typing import Any

__version__ = "0.1.0"
"""The package version (as in pyproject.toml)."""


def _exports() -> dict[str, str]:
    """``{name: module}`` from the imports in ``__init__.pyi``.

    Names load on first use, so importing one construct does not import every AWS service's
    bindings (and the stub stays the single list that type checkers also read).
    """
    stub = ast.parse(Path(__file__).with_suffix(".pyi").read_text())
    return {
        alias.name: node.module
        for node in stub.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


_EXPORTS = _exports()
__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
