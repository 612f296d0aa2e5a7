"""`make diff/deploy/destroy ENV=...` select exactly the stacks of that environment's stage.

The stacks live inside a ``cdk.Stage`` (``Dev/Platform/Storage``), so ``cdk deploy --all``
("No stack found in the main cloud assembly") and ``'Dev/*'`` (one level deep) select none. This test takes each
command line from the Makefile (``make -n``) and runs its stack pattern through the pinned
CDK CLI (``cdk ls --app <assembly>``) against an assembly with every stage in it.
"""

from __future__ import annotations

import copy
import shlex
import shutil
import subprocess

import pytest

from ml_data_platform.config import CONTEXT_KEY
from ml_data_platform.stacks import build_platform
from tests.conftest import CDK_CONTEXT, ROOT, make_app

CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"
TARGETS = ("ls", "diff", "deploy", "destroy")
# cdk.json's environments plus one with a '-' (stage id "Qa-eu"), to pin the capitalisation.
EXTRA_ENVIRONMENT = "qa-eu"

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or not CDK_CLI.exists(),
    reason="needs GNU make and the pinned CDK CLI (make install)",
)


def _context() -> dict:
    context = copy.deepcopy(CDK_CONTEXT)
    environments = context[CONTEXT_KEY]["environments"]
    environments[EXTRA_ENVIRONMENT] = copy.deepcopy(environments["dev"])
    return context


@pytest.fixture(scope="module")
def assembly():
    """``(assembly directory, {environment: {stack path}})`` with every stage synthesized."""
    context = _context()
    app = make_app()
    stages = build_platform(app, context)
    directory = app.synth().directory
    expected = {
        name: {stack.node.path for stack in _stacks(stage)}
        for name, stage in zip(context[CONTEXT_KEY]["environments"], stages, strict=True)
    }
    return directory, expected


def _stacks(stage):
    return stage.platform.stacks


def make_command(target: str, env: str) -> list[str]:
    """The CDK CLI command line that ``make <target> ENV=<env>`` would run."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"ENV={env}", "CDK=cdk", "CDK_ARGS="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(f"cdk {target} ")]
    assert len(lines) == 1, result.stdout
    return shlex.split(lines[0])


def cdk_ls(assembly_directory: str, pattern: str) -> set[str]:
    result = subprocess.run(
        [str(CDK_CLI), "ls", "--app", assembly_directory, pattern],
        cwd=assembly_directory,
        capture_output=True,
        text=True,
        check=True,
    )
    # `cdk ls` prints "<path> (<stack name>)" for stacks in stages.
    return {line.split(" ")[0] for line in result.stdout.splitlines() if line.strip()}


@pytest.mark.parametrize("env", ["dev", "prod", EXTRA_ENVIRONMENT])
def test_every_target_selects_exactly_the_stacks_of_env(assembly, env):
    directory, expected = assembly
    assert expected[env], env
    commands = {target: make_command(target, env) for target in TARGETS}
    patterns = {command[2] for command in commands.values()}
    assert len(patterns) == 1, commands  # ls shows what diff/deploy/destroy act on
    (pattern,) = patterns
    assert not pattern.startswith("-"), commands  # a stack pattern, not --all
    for target, command in commands.items():
        assert command[3:] == ["-c", f"env={env}"], (target, command)
    assert cdk_ls(directory, pattern) == expected[env]


def test_prod_selection_includes_the_warehouse(assembly):
    directory, _ = assembly
    assert cdk_ls(directory, make_command("deploy", "prod")[2]) == {
        "Prod/Platform/Storage",
        "Prod/Platform/Catalog",
        "Prod/Platform/Ingestion14",  # clickstream's slot
        "Prod/Platform/Warehouse",
        "Prod/Platform/Services",
    }
