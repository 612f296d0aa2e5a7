"""`make test` type-checks the package: `make typecheck` runs mypy --strict over it."""

import re

import tomllib

from tests.conftest import ROOT


def test_make_test_runs_mypy_strict_over_the_package():
    makefile = (ROOT / "Makefile").read_text()
    (test_deps,) = re.findall(r"^test: ([^#\n]*)", makefile, re.M)
    assert "typecheck" in test_deps.split()
    assert re.search(r"^typecheck: .*\n\t\$\(VENV\)/bin/mypy\s*$", makefile, re.M)
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["strict"] is True
    assert mypy["files"] == ["ml_data_platform"]
    relaxed = [o for o in mypy.get("overrides", []) if o.get("disallow_untyped_defs") is False]
    assert [o["module"] for o in relaxed] == [["ml_data_platform.warehouse.lookup_handler"]]
