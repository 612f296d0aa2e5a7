"""The deploy guard through the pinned CDK CLI: two synthesized assemblies, ``cdk diff``, and
only the data-bearing resources that would be lost are refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ml_data_platform.deploy_guard.cli import EXIT_DATA_LOSS
from tests.conftest import ROOT

CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"
APP = ROOT / "tests" / "e2e" / "guard_app" / "app.py"

pytestmark = pytest.mark.skipif(not CDK_CLI.exists(), reason="needs the pinned CDK CLI")


def _synth(variant: str, outdir) -> None:
    subprocess.run(
        [
            str(CDK_CLI),
            "synth",
            "--quiet",
            "-a",
            f"{sys.executable} {APP}",
            "-o",
            str(outdir),
            "-c",
            f"variant={variant}",
        ],
        check=True,
        capture_output=True,
        cwd=outdir.parent,
    )


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory):
    root = tmp_path_factory.mktemp("guard")
    base, changed = root / "base", root / "changed"
    _synth("base", base)
    _synth("changed", changed)
    return base, changed


def _guard(baseline, app) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ALLOW_DATA_LOSS"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ml_data_platform.cli",
            "guard",
            "--cdk",
            str(CDK_CLI),
            "--baseline",
            str(baseline),
            "--app",
            str(app),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_guard_refuses_exactly_the_lost_data_bearing_resources(assemblies):
    base, changed = assemblies
    result = _guard(base, changed)
    assert result.returncode == EXIT_DATA_LOSS, result.stdout + result.stderr
    lost = [line.strip() for line in result.stderr.splitlines() if line.startswith("  Data:")]
    assert len(lost) == 3, result.stderr
    assert any("AWS::S3::Bucket Lake" in line and "replaced" in line for line in lost)
    assert any("AWS::Kinesis::Stream Events" in line and "orphaned" in line for line in lost)
    assert any("AWS::Kinesis::Stream Scratch" in line and "deleted" in line for line in lost)
    # The role is replaced too, and a bucket is created: neither loses data.
    assert "Worker" not in result.stderr and "Notes" not in result.stderr
    assert "ALLOW_DATA_LOSS=1" in result.stderr


def test_guard_passes_a_deploy_that_loses_nothing(assemblies):
    base, _ = assemblies
    result = _guard(base, base)
    assert result.returncode == 0, result.stderr
    assert "no data-bearing resource" in result.stdout


def test_make_deploy_runs_the_guard_on_the_same_stacks_before_deploying():
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "deploy", "ENV=prod", "CDK=cdk", "CDK_ARGS="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    guard = next(i for i, line in enumerate(lines) if " guard --cdk cdk -- " in line)
    deploy = next(i for i, line in enumerate(lines) if line.startswith("cdk deploy "))
    assert guard < deploy
    assert lines[guard].startswith("ALLOW_DATA_LOSS= ")
    assert lines[guard].split(" -- ", 1)[1] == lines[deploy].removeprefix("cdk deploy ")
