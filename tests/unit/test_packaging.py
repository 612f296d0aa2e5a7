"""Packaging metadata: the SPDX license string (PEP 639), so building or installing the package
prints no setuptools deprecation warning about the `project.license` table."""

import warnings

from setuptools.config.pyprojecttoml import apply_configuration
from setuptools.dist import Distribution

from tests.conftest import ROOT

PYPROJECT = ROOT / "pyproject.toml"


def test_license_is_an_spdx_string_that_setuptools_reads_without_warning(monkeypatch):
    text = PYPROJECT.read_text()
    assert '\nlicense = "Apache-2.0"\n' in text
    assert 'requires = ["setuptools>=77.0.3"' in text  # the first setuptools with SPDX strings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        monkeypatch.chdir(ROOT)
        apply_configuration(Distribution(), PYPROJECT)  # where the table form warns
    assert not [w for w in caught if "license" in str(w.message).lower()]
