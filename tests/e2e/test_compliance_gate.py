"""The compliance gate in a user's app: `enable_compliance_checks(app)` + `app.synth()` fails
on an unacknowledged finding whatever the app's shape (plain stack, Stage, NestedStack) and
however it runs (the pinned CDK CLI, or `python app.py`), listing each finding; a clean app
exits 0.

Each case is a tiny app (one S3 bucket: known findings) in a temp directory with its own
cdk.json; CDK's built-in CloudFormation validation is off (it is not what is tested here).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests import early
from tests.conftest import ROOT

CDK = ROOT / "node_modules" / ".bin" / "cdk"
APP = textwrap.dedent(
    """
    import os

    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    from ml_data_platform import enable_compliance_checks

    app = cdk.App()
    scopes = {
        "plain": lambda: cdk.Stack(app, "Stack"),
        "stage": lambda: cdk.Stack(cdk.Stage(app, "Dev"), "Stack"),
        "nested": lambda: cdk.NestedStack(cdk.Stack(app, "Parent"), "Nested"),
    }
    for shape in os.environ["SHAPES"].split(","):
        scope = scopes[shape]()
        if os.environ["FINDING"] == "yes":
            s3.CfnBucket(scope, "Bucket")  # 23 findings in the four packs
        else:
            cdk.CfnWaitConditionHandle(scope, "Nothing")
    enable_compliance_checks(app)
    app.synth()
    """
)
BUCKET_PATH = {
    "plain": "Stack/Bucket",
    "stage": "Dev/Stack/Bucket",
    "nested": "Parent/Nested/Bucket",
}
ALL_SHAPES = ("plain", "stage", "nested")


FINDING_CASES = {
    "cli-stage-only": ("cli", ("stage",)),
    "cli-every-shape": ("cli", ALL_SHAPES),
    "python-every-shape": ("python", ALL_SHAPES),
}
CLEAN = "clean-every-shape"


@early.start_after_collection("gate_runs")
def _run_every_case() -> dict[str, subprocess.CompletedProcess]:
    """Each case's run of the app (~2.5 s each), one after another, after collection."""
    directory = early.temp_dir("user-app-")
    (directory / "app.py").write_text(APP)
    (directory / "cdk.json").write_text(f'{{"app": "{sys.executable} app.py", "notices": false}}')
    runs = {
        case: run(directory, how, shapes, finding=True)
        for case, (how, shapes) in FINDING_CASES.items()
    }
    runs[CLEAN] = run(directory, "cli", ALL_SHAPES, finding=False)
    return runs


@pytest.fixture(scope="session")
def gate_runs() -> dict[str, subprocess.CompletedProcess]:
    return early.result("gate_runs")


def run(user_app, how: str, shapes: tuple[str, ...], finding: bool):
    # A user's environment: no pytest variables (CDK changes its failure mode under pytest).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(SHAPES=",".join(shapes), FINDING="yes" if finding else "no", CDK_VALIDATION="false")
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    command = [str(CDK), "synth", "--quiet"] if how == "cli" else [sys.executable, "app.py"]
    return subprocess.run(
        command, cwd=user_app, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.parametrize("case", FINDING_CASES)
def test_a_finding_fails_with_its_id_and_construct_path(gate_runs, case):
    """A stage alone is the case the CLI lets through by itself (it judges only the stacks
    it selected); one app with a plain stack, a stage and a nested stack lists all three."""
    _, shapes = FINDING_CASES[case]
    result = gate_runs[case]
    assert result.returncode != 0, result.stdout + result.stderr
    for shape in shapes:
        path = BUCKET_PATH[shape]
        assert f"AwsSolutions::AwsSolutions-S1 on {path}" in result.stderr, result.stderr[-3000:]
        assert f"PCI.DSS.321::PCI.DSS.321-S3DefaultEncryptionKMS on {path}" in result.stderr
    assert f"{23 * len(shapes)} unacknowledged cdk-nag finding(s)" in result.stderr
    assert "Traceback" not in result.stderr  # the list, not a stack trace


def test_a_clean_app_of_every_shape_exits_zero(gate_runs):
    result = gate_runs[CLEAN]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cdk-nag" not in result.stderr
