"""Apps a new user writes from README.md and docs/ only, run as that user runs them: the built
wheel in a fresh venv outside the repository, ``cdk synth`` through the pinned CLI, no AWS
credentials, all four cdk-nag packs attached (AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS).

Each app must synthesize with zero unacknowledged findings and no context lookup, and every
Firehose delivery into the lake must be readable by its Glue table: the table's
``storage.location.template`` is the delivery's prefix with each ``key=!{...}`` segment as
``key=${key}``, in the same bucket, with the same keys projected (compared across the
synthesized templates, cross-stack references followed).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT
from tests.userapps.assembly import (
    Assembly,
    lake_deliveries,
    location_mismatches,
    unacknowledged_findings,
)
from tests.userapps.conftest import app_source

_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def readme_quick_start() -> str:
    """README's "Use a construct in your own CDK app" example, verbatim, with the four packs
    attached the documented way (docs/use-in-your-cdk-app.md) before its ``app.synth()``."""
    section = (ROOT / "README.md").read_text().split("## Use a construct in your own CDK app")[1]
    block = _PYTHON_BLOCK.search(section)[1]
    assert block.count("app.synth()") == 1, block
    return "from ml_data_platform import enable_compliance_checks\n" + block.replace(
        "app.synth()", "enable_compliance_checks(app)\napp.synth()"
    )


@dataclass(frozen=True)
class UserApp:
    name: str
    source: Callable[[], str]
    stacks: frozenset[str]
    deliveries: int  # Firehose → S3 deliveries in the app
    tables: int  # of which a Glue table reads


APPS = [
    UserApp(
        "custom_lifecycle",
        lambda: app_source("custom_lifecycle"),
        frozenset({"MlArtifacts"}),
        deliveries=0,
        tables=0,
    ),
    UserApp(
        "platform_stage_env",
        lambda: app_source("platform_stage_env"),
        frozenset(
            {f"recsys-staging-{layer}" for layer in ("storage", "catalog", "ingestion")}
            | {f"recsys-prod-{layer}" for layer in ("storage", "catalog", "ingestion", "warehouse")}
        ),
        deliveries=2,
        tables=2,
    ),
]


@pytest.fixture(scope="module")
def synthesized(user_venv):
    """Each app synthesized once, in sequence, on first use."""
    results: dict[str, tuple] = {}

    def synth(app: UserApp):
        if app.name not in results:
            results[app.name] = user_venv.synth(app.name, app.source())
        return results[app.name]

    return synth


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_user_app_synthesizes_clean_through_the_cli(synthesized, app):
    source = app.source()
    # All four packs: the documented call, without a packs= subset.
    assert re.search(r"^enable_compliance_checks\(app\)$", source, re.M), source
    outdir, result = synthesized(app)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assembly = Assembly(outdir)  # also fails on any context lookup (needs credentials)
    assert set(assembly.stacks) == app.stacks
    assert unacknowledged_findings(outdir) == []


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_user_app_athena_reads_where_firehose_writes(synthesized, app):
    outdir, result = synthesized(app)
    assert result.returncode == 0, result.stderr[-4000:]
    deliveries = lake_deliveries(Assembly(outdir))
    assert len(deliveries) == app.deliveries
    read = [d for d in deliveries if d.table is not None]
    assert len(read) == app.tables, [d.stream for d in deliveries if d.table is None]
    for delivery in read:
        assert location_mismatches(delivery) == []


def test_wheel_ships_typing_marker_and_price_tables(user_venv):
    names = zipfile.ZipFile(user_venv.wheel).namelist()
    assert "ml_data_platform/py.typed" in names  # PEP 561: users' type checkers read our hints
    assert "ml_data_platform/__init__.pyi" in names  # the export list they read them through
    assert "ml_data_platform/planning/prices/us-east-1.json" in names
    assert not any(name.startswith("tests/") for name in names)


@pytest.mark.parametrize("page", ["README.md", "docs/use-in-your-cdk-app.md"])
def test_install_instructions_use_a_checkout_or_the_wheel(page):
    """The package is not on PyPI: `pip install ml-data-platform` would fail (or install
    someone else's package)."""
    text = (ROOT / page).read_text()
    assert not re.search(r"pip install ['\"]?ml-data-platform\b", text), page
    assert "pip install path/to/ml-data-platform" in text
    assert "pip install dist/ml_data_platform-*.whl" in text
