"""Shared test helpers: apps with the real cdk.json context, template queries, nag, snapshots.

Unit tests run with CDK's built-in CloudFormation validation off (it costs ~1.7 s per synth);
`make synth` and the ``cli_synth`` fixture (app.py run as the CDK CLI runs it) keep it on.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from ml_data_platform.compliance import enable_compliance_checks
from tests import early
from tests.cli_app import CliSynth

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshots"
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
UPDATE_SNAPSHOTS = os.environ.get("UPDATE_SNAPSHOTS") == "1"
TEST_ENV = cdk.Environment(account="111111111111", region="us-east-1")


def make_app(**context: Any) -> cdk.App:
    """An App with the same feature flags as cdk.json (plus ``context``), output in a temp dir
    that is removed when the test or fixture that made the app is done (see ``_OUTDIRS``)."""
    outdir = tempfile.mkdtemp(prefix="cdk-test-")
    _OUTDIRS.append((_ACTIVE_SCOPES[-1] if _ACTIVE_SCOPES else "session", outdir))
    return cdk.App(context={**CDK_CONTEXT, **context}, outdir=outdir, analytics_reporting=False)


# Temp-dir hygiene: every make_app outdir is removed when its owner is done - after the test
# for an app made in a test or a function-scoped fixture, at the end of the module for a
# module- or class-scoped fixture's app, at the end of the session otherwise (a session
# fixture's app, one made at import time). An assembly must outlive its app's users:
# Template.from_stack reads the templates back from the outdir.
_OUTDIRS: list[tuple[str, str]] = []  # (owner scope, outdir), in creation order
_ACTIVE_SCOPES: list[str] = []  # scope of each fixture being set up, or "function" in a test


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Iterator[None]:
    _ACTIVE_SCOPES.append(fixturedef.scope)
    yield
    _ACTIVE_SCOPES.pop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call() -> Iterator[None]:
    _ACTIVE_SCOPES.append("function")
    yield
    _ACTIVE_SCOPES.pop()


def _remove_outdirs(scopes: set[str]) -> None:
    for entry in [e for e in _OUTDIRS if e[0] in scopes]:
        shutil.rmtree(entry[1], ignore_errors=True)
        _OUTDIRS.remove(entry)


@pytest.fixture(autouse=True)
def _remove_test_outdirs() -> Iterator[None]:
    yield
    _remove_outdirs({"function"})


@pytest.fixture(autouse=True, scope="module")
def _remove_module_outdirs() -> Iterator[None]:
    yield
    _remove_outdirs({"module", "class"})


@pytest.fixture(autouse=True, scope="session")
def _remove_session_outdirs() -> Iterator[None]:
    yield
    _remove_outdirs({"session", "package", "module", "class", "function"})


def _early_fixtures(item: pytest.Item) -> set[str]:
    return early.registered() & set(getattr(item, "fixturenames", ()))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: bool(_early_fixtures(item)))  # stable: last, in their order


def pytest_collection_finish(session: pytest.Session) -> None:
    if not session.config.option.collectonly:
        early.start(set().union(*map(_early_fixtures, session.items)))


def pytest_sessionfinish() -> None:
    early.finish()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if early.TIMINGS:
        waits = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in early.TIMINGS.items())
        terminalreporter.write_line(f"waited for work started after collection: {waits}")


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict]:
    """``{logical id: resource}`` of every resource of ``resource_type``."""
    return template.find_resources(resource_type)


def only_resource(template: Template, resource_type: str) -> tuple[str, dict]:
    """The single resource of ``resource_type`` (fails if there are 0 or several)."""
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def logical_ids(template: Template, resource_type: str) -> set[str]:
    return set(resources_of_type(template, resource_type))


def synth_with_nag(app: cdk.App) -> dict:
    """Synthesize ``app`` with every enforced nag pack; fail on any unacknowledged finding.

    Returns the validation report, after ``check_acknowledgements``.
    """
    enable_compliance_checks(app)
    try:
        assembly = app.synth()
    except RuntimeError as error:  # pragma: no cover - the message is the useful part
        pytest.fail(f"cdk-nag findings not acknowledged: {error}")
    report = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    check_acknowledgements(app, report)
    return report


def check_acknowledgements(app: cdk.App, report: dict) -> None:
    """Every pack succeeded, and every acknowledgement has a reason (≥ 30 characters) and sits
    on one resource: an existing construct that is not an App, Stage or Stack (an
    acknowledgement there would cover every resource below it), whose subtree holds the
    violating constructs."""
    scopes = {
        c.node.path: cdk.Stage.is_stage(c) or cdk.Stack.is_stack(c) for c in app.node.find_all()
    }
    _check_acknowledged_scopes(scopes, report)


# The jsii classes tree.json names for an App, a Stage or a Stack (subclasses included).
_STAGE_OR_STACK_FQNS = {
    "aws-cdk-lib.App",
    "aws-cdk-lib.Stage",
    "aws-cdk-lib.Stack",
    "aws-cdk-lib.NestedStack",
}


def check_acknowledgements_in_tree(tree: dict, report: dict) -> None:
    """``check_acknowledgements`` for an app synthesized in another process: its constructs
    read from the assembly's ``tree.json``."""
    scopes: dict[str, bool] = {}
    nodes = [tree["tree"]]
    while nodes:
        node = nodes.pop()
        fqn = node.get("constructInfo", {}).get("fqn")
        scopes[node["path"]] = fqn in _STAGE_OR_STACK_FQNS
        nodes.extend(node.get("children", {}).values())
    _check_acknowledged_scopes(scopes, report)


def _check_acknowledged_scopes(scopes: dict[str, bool], report: dict) -> None:
    """``scopes``: ``{construct path: is an App, Stage or Stack}``."""
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin["pluginName"]
        for suppressed in plugin.get("suppressedViolations", []):
            rule, scope = suppressed["ruleName"], suppressed["acknowledgedAt"]
            assert len(suppressed["reason"].strip()) >= 30, suppressed
            assert scope in scopes, f"{rule} acknowledged at unknown path {scope!r}"
            assert not scopes[scope], (
                f"{rule} acknowledged on a Stage or Stack {scope!r}, not on a resource"
            )
            for violating in suppressed["violatingConstructs"]:
                path = violating["constructPath"]
                assert path == scope or path.startswith(scope + "/"), (rule, scope, path)


@pytest.fixture(scope="session")
def cli_synth() -> CliSynth:
    """app.py with the shipped cdk.json, run as the CDK CLI runs it (``tests.cli_app``),
    started after collection."""
    return early.result("cli_synth")


@pytest.fixture(scope="session")
def platform_synth() -> tuple[dict, dict]:
    """The whole platform from cdk.json (every environment) synthesized once per session with
    every nag pack: ``({stage name: MlDataPlatformStage}, validation report)``."""
    from ml_data_platform.stacks import build_platform

    app = make_app()
    stages = {stage.stage_name: stage for stage in build_platform(app, CDK_CONTEXT)}
    return stages, synth_with_nag(app)


def acknowledged_rules(report: dict) -> set[tuple[str, str]]:
    """``{(rule, acknowledged at)}`` from a validation report."""
    return {
        (suppressed["ruleName"], suppressed["acknowledgedAt"])
        for plugin in report["pluginReports"]
        for suppressed in plugin.get("suppressedViolations", [])
    }


_VOLATILE_METADATA = (
    "aws:cdk:path",
    "aws:asset:path",
    "aws:asset:property",
    "aws:asset:is-bundled",
)


def normalize_template(template: dict) -> dict:
    """Drop what changes with the CDK version or the build, so snapshots stay stable."""
    template = json.loads(json.dumps(template))
    template.get("Parameters", {}).pop("BootstrapVersion", None)
    template.get("Rules", {}).pop("CheckBootstrapVersion", None)
    template.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    template["Resources"].pop("CDKMetadata", None)
    for section in ("Parameters", "Rules", "Conditions"):
        if section in template and not template[section]:
            del template[section]
    for resource in template["Resources"].values():
        metadata = resource.get("Metadata", {})
        for key in _VOLATILE_METADATA:
            metadata.pop(key, None)
        if "Metadata" in resource and not metadata:
            del resource["Metadata"]
    return template


def assert_matches_snapshot(name: str, template: Template) -> None:
    """Compare the normalized template with ``tests/snapshots/<name>.json``.

    A missing snapshot fails. Run with ``UPDATE_SNAPSHOTS=1`` to (re)write it; review the diff
    like code.
    """
    actual = normalize_template(template.to_json())
    path = SNAPSHOT_DIR / f"{name}.json"
    if UPDATE_SNAPSHOTS:
        SNAPSHOT_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    elif not path.exists():
        pytest.fail(f"snapshot {path.name} is missing; write it with UPDATE_SNAPSHOTS=1 pytest")
    expected = json.loads(path.read_text())
    assert actual == expected, f"{path.name} differs; if intended: UPDATE_SNAPSHOTS=1 pytest"
