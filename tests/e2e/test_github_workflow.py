"""The example GitHub Actions workflow (docs/ci/github-actions.yml) keeps its guarantees."""

import re

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"
OIDC_ACTION = "aws-actions/configure-aws-credentials"
MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    # PyYAML (YAML 1.1) reads the bare key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="module")
def jobs(workflow) -> dict:
    return workflow["jobs"]


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def uses(job: dict, action: str) -> list[dict]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action + "@")]


def needs(job: dict) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def upstream(jobs: dict, name: str) -> set[str]:
    """Every job that must finish before ``name`` (transitively)."""
    seen: set[str] = set()
    pending = needs(jobs[name])
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending += needs(jobs[current])
    return seen


def deploy_jobs(jobs: dict) -> dict[str, dict]:
    return {n: j for n, j in jobs.items() if any("make deploy" in r for r in runs(j))}


def test_triggers_on_pull_requests_and_pushes_to_main(workflow):
    triggers = workflow["on"]
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["pull_request"]["branches"] == ["main"]


def test_make_test_runs_unconditionally(jobs):
    testing = [n for n, j in jobs.items() if "make test" in runs(j)]
    assert testing, "no job runs `make test`"
    assert all("if" not in jobs[n] for n in testing), "`make test` must run on PRs and main"


def test_every_deploy_needs_make_test_first(jobs):
    testing = {n for n, j in jobs.items() if "make test" in runs(j)}
    deploys = deploy_jobs(jobs)
    assert deploys
    for name in deploys:
        assert upstream(jobs, name) & testing, f"{name} does not wait for `make test`"


def test_deploys_only_on_main_dev_before_prod(jobs):
    deploys = deploy_jobs(jobs)
    envs = {}
    for name, job in deploys.items():
        assert job.get("if") == MAIN_PUSH, f"{name} must run only on pushes to main"
        (command,) = [r for r in runs(job) if "make deploy" in r]
        envs[re.search(r"ENV=(\w+)", command).group(1)] = name
    assert set(envs) == {"dev", "prod"}
    assert envs["dev"] in upstream(jobs, envs["prod"]), "prod must deploy after dev"
    assert jobs[envs["prod"]].get("environment") == "prod", "prod needs environment protection"


def test_pull_requests_get_a_prod_diff(jobs):
    diffs = [n for n, j in jobs.items() if any("make diff ENV=prod" in r for r in runs(j))]
    assert diffs
    for name in diffs:
        assert jobs[name].get("if") == "github.event_name == 'pull_request'"


def test_aws_access_uses_oidc_role_assumption(workflow, jobs):
    assert workflow.get("permissions", {}).get("id-token") != "write", "least privilege at top"
    aws_jobs = {
        n: j for n, j in jobs.items() if any(k in " ".join(runs(j)) for k in ("deploy", "diff"))
    }
    assert aws_jobs
    for name, job in aws_jobs.items():
        assert job.get("permissions", {}).get("id-token") == "write", name
        steps = uses(job, OIDC_ACTION)
        assert steps, f"{name} does not use {OIDC_ACTION}"
        for step in steps:
            assert step["with"].get("role-to-assume"), f"{name}: no role-to-assume"
        # credentials come before the step that needs them
        ordered = job["steps"]
        first_oidc = next(i for i, s in enumerate(ordered) if s in steps)
        first_aws = next(
            i
            for i, s in enumerate(ordered)
            if "make deploy" in s.get("run", "") or "make diff" in s.get("run", "")
        )
        assert first_oidc < first_aws


def test_no_static_aws_keys():
    text = WORKFLOW.read_text()
    for forbidden in (
        "aws-access-key-id",
        "aws-secret-access-key",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ):
        assert forbidden not in text, forbidden
    assert not re.search(r"\bAKIA[0-9A-Z]{16}\b", text)


def test_make_selects_the_stacks_not_cdk_args(jobs):
    """`make diff/deploy ENV=x` target the stage's stacks (tests/e2e/test_make_stack_selection.py);
    `--all` or another `-c env=` in CDK_ARGS would select none or the wrong ones."""
    commands = [r for j in jobs.values() for r in runs(j) if "make deploy" in r or "make diff" in r]
    assert len(commands) == 3
    for command in commands:
        assert re.search(r"\bENV=(dev|prod)\b", command), command
        assert "--all" not in command and "-c env=" not in command, command


def test_node_is_a_version_jsii_supports(jobs):
    """jsii supports Node 22 and 24 (Node 20 is end-of-life for it)."""
    versions = [
        str(step["with"]["node-version"])
        for job in jobs.values()
        for step in uses(job, "actions/setup-node")
    ]
    assert len(versions) == len(jobs)  # every job sets Node up
    assert all(int(v.split(".")[0]) >= 22 for v in versions), versions


def test_make_test_gets_the_java_trino_needs(jobs):
    """tests/datapath start Trino 476, which needs Java >= 24 (TRINO_JAVA_HOME)."""
    (java,) = uses(jobs["test"], "actions/setup-java")
    assert int(str(java["with"]["java-version"])) >= 24
    (step,) = [s for s in jobs["test"]["steps"] if s.get("run") == "make test"]
    assert step["env"]["TRINO_JAVA_HOME"] == "${{ env.JAVA_HOME }}"
