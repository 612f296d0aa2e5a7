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
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests import early
from tests.conftest import ROOT
from tests.e2e.run_doc_examples import PYTHON_BLOCK
from tests.userapps.assembly import (
    Assembly,
    Delivery,
    lake_deliveries,
    location_mismatches,
    unacknowledged_findings,
)
from tests.userapps.conftest import UserVenv, app_source, make_user_venv


def documented_app(page: str, heading: str) -> str:
    """The first ```python block after ``heading`` in ``page``, verbatim, with the four packs
    attached the documented way (``enable_compliance_checks(app)`` before its ``app.synth()``,
    docs/use-in-your-cdk-app.md) when the example does not attach them itself."""
    text = (ROOT / page).read_text()
    assert text.count(f"{heading}\n") == 1, f"{page}: no single heading {heading!r}"
    block = PYTHON_BLOCK.search(text.split(f"{heading}\n")[1])[1]
    if re.search(r"^enable_compliance_checks\(app\)$", block, re.M):
        return block
    assert block.count("app.synth()") == 1, block
    return "from ml_data_platform import enable_compliance_checks\n" + block.replace(
        "app.synth()", "enable_compliance_checks(app)\napp.synth()"
    )


@dataclass(frozen=True)
class UserApp:
    name: str
    source: Callable[[], str]
    stacks: frozenset[str]
    deliveries: int  # Firehose → S3 deliveries in the app (a shared one once per dataset)
    tables: int  # of which a Glue table reads


APPS = [
    UserApp(
        "readme_quick_start",
        lambda: documented_app("README.md", "## Use a construct in your own CDK app"),
        frozenset({"Analytics"}),
        deliveries=1,
        tables=0,
    ),
    UserApp(
        "own_key_and_imported_bucket",
        lambda: documented_app(
            "docs/use-in-your-cdk-app.md", "## Your app owns the bucket, the stream and the key"
        ),
        frozenset({"TeamAnalytics"}),
        deliveries=1,
        tables=1,
    ),
    UserApp(
        "three_datasets",
        lambda: app_source("three_datasets"),
        frozenset({"ThreeDatasets"}),
        deliveries=3,
        tables=3,
    ),
    UserApp(
        "platform_in_own_stage_with_own_role",
        lambda: documented_app(
            "docs/use-in-your-cdk-app.md",
            "### In your own Stage, next to your own stacks, with your own role",
        ),
        frozenset(
            {"Staging-Team"}
            # impressions' ingestion stack is its hash slot, 14 (stacks.placement)
            | {f"recsys-staging-{layer}" for layer in ("storage", "catalog", "ingestion-14")}
        ),
        deliveries=1,
        tables=1,
    ),
    UserApp(
        "shared_stream_two_datasets",
        lambda: documented_app(
            "docs/constructs/lake-delivery-stream.md",
            "## Several small datasets on one stream: `SharedLayout`",
        ),
        frozenset({"SharedExample"}),
        deliveries=2,  # one shared delivery, once per dataset it routes to
        tables=2,
    ),
    UserApp(
        "sagemaker_role_and_access_point",
        lambda: app_source("sagemaker_access_point"),
        frozenset({"MlTeams"}),
        deliveries=0,
        tables=0,
    ),
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
            # impressions' ingestion stack is its hash slot, 14 (stacks.placement)
            {f"recsys-staging-{layer}" for layer in ("storage", "catalog", "ingestion-14")}
            | {
                f"recsys-prod-{layer}"
                for layer in ("storage", "catalog", "ingestion-14", "warehouse")
            }
        ),
        deliveries=2,
        tables=2,
    ),
]


@dataclass(frozen=True)
class UserApps:
    """The wheel's venv and each app's ``cdk synth``: ``{app name: (assembly dir, run)}``."""

    venv: UserVenv
    runs: dict[str, tuple[Path, subprocess.CompletedProcess]]


@early.start_after_collection("user_apps")
def _build_and_synthesize() -> UserApps:
    venv = make_user_venv()
    return UserApps(venv, {app.name: venv.synth(app.name, app.source()) for app in APPS})


@pytest.fixture(scope="session")
def user_apps() -> UserApps:
    """The wheel installed in a fresh venv and every app synthesized there, in sequence,
    started after collection."""
    return early.result("user_apps")


@pytest.fixture(scope="session")
def user_venv(user_apps) -> UserVenv:
    return user_apps.venv


@pytest.fixture(scope="session")
def synthesized(user_apps) -> Callable[[UserApp], tuple[Path, subprocess.CompletedProcess]]:
    return lambda app: user_apps.runs[app.name]


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


def test_the_location_check_catches_what_athena_would_miss():
    """The comparison itself: a table whose keys differ in order, another bucket, or errors
    written inside the table's location are all reported."""
    good = Delivery(
        stream="S/Firehose",
        bucket="<Ref S/Raw>",
        prefix="orders/country=!{partitionKeyFromQuery:country}/year=!{timestamp:yyyy}/",
        error_prefix="errors/orders/!{firehose:error-output-type}/",
        table="S/Table",
        location="s3://<Ref S/Raw>/orders/",
        location_template="s3://<Ref S/Raw>/orders/country=${country}/year=${year}/",
        projected_keys=("country", "year"),
    )
    assert good.literal_prefix == "orders/" and location_mismatches(good) == []
    swapped = replace(
        good, location_template="s3://<Ref S/Raw>/orders/year=${year}/country=${country}/"
    )
    other_bucket = replace(
        good, location_template="s3://<Ref S/Other>/orders/country=${country}/year=${year}/"
    )
    unprojected = replace(good, projected_keys=("year",))
    errors_inside = replace(good, error_prefix="orders/errors/!{firehose:error-output-type}/")
    for broken in (swapped, other_bucket, unprojected, errors_inside):
        assert len(location_mismatches(broken)) == 1, broken


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
