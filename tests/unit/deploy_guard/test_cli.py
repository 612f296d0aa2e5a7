"""``ml-data-platform guard`` without the CDK CLI: a stand-in ``cdk`` script prints a diff and
records how it was called; cloud assemblies are written by hand. What the guard runs, which
stacks it compares, its messages and exit codes, word for word. (tests/e2e/test_deploy_guard.py
runs it through the pinned CLI.)"""

from __future__ import annotations

import argparse
import json
import stat

import pytest

from ml_data_platform.deploy_guard.changes import data_loss_changes
from ml_data_platform.deploy_guard.cli import (
    ALLOW_ENV,
    EXIT_DATA_LOSS,
    register,
    report,
    stack_templates,
)

LOSS = "Stack Prod/Platform/Storage (mldp-prod-storage)\n[-] AWS::S3::Bucket P/B Bucket1 destroy\n"
KEEP = "Stack Prod/Platform/Storage (mldp-prod-storage)\n[~] AWS::S3::Bucket P/B Bucket1\n"


@pytest.fixture
def fake_cdk(tmp_path):
    """A ``cdk`` that appends its arguments and colour settings to calls.log, prints
    diff.txt on stdout and a line on stderr, and exits with the code in exit.txt."""
    script = tmp_path / "cdk"
    script.write_text(
        "#!/bin/sh\n"
        f'dir="{tmp_path}"\n'
        'echo "$* | NO_COLOR=$NO_COLOR FORCE_COLOR=$FORCE_COLOR" >> "$dir/calls.log"\n'
        'cat "$dir/diff.txt"\n'
        'echo "(stderr of cdk)" >&2\n'
        'exit "$(cat "$dir/exit.txt")"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "exit.txt").write_text("0")
    (tmp_path / "diff.txt").write_text(KEEP)
    return script


def calls(fake_cdk):
    log = fake_cdk.parent / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def guard(*argv, env=None, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.delenv(ALLOW_ENV, raising=False)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
    parser = argparse.ArgumentParser(prog="ml-data-platform")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["guard", *argv])
    return args.handler(args)


def assembly(root, stacks, nested=None):
    """A cloud assembly at ``root`` with ``{stack id: display name or None}`` and optional
    ``{directory: stacks}`` nested assemblies (stages)."""
    artifacts = {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}
    for artifact_id, display in stacks.items():
        artifact = {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": f"{artifact_id}.template.json"},
        }
        if display is not None:
            artifact["displayName"] = display
        artifacts[artifact_id] = artifact
        (root / f"{artifact_id}.template.json").parent.mkdir(parents=True, exist_ok=True)
        (root / f"{artifact_id}.template.json").write_text("{}")
    for directory, inner in (nested or {}).items():
        artifacts[f"assembly-{directory}"] = {
            "type": "cdk:cloud-assembly",
            "properties": {"directoryName": directory, "displayName": directory},
        }
        (root / directory).mkdir(parents=True)
        assembly(root / directory, inner)
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}))
    return root


def test_stack_templates_lists_every_stack_of_every_stage(tmp_path):
    root = assembly(
        tmp_path / "out",
        {"Top": None},
        nested={"assembly-Dev": {"DevPlatformStorage": "Dev/Platform/Storage"}},
    )
    assert list(stack_templates(root)) == [
        ("Top", root / "Top.template.json"),
        ("Dev/Platform/Storage", root / "assembly-Dev" / "DevPlatformStorage.template.json"),
    ]


def test_against_the_account_it_diffs_the_given_stacks_without_colour(
    fake_cdk, monkeypatch, capsys
):
    code = guard("--cdk", str(fake_cdk), "--", "Dev/**", "-c", "env=dev", monkeypatch=monkeypatch)
    assert code == 0
    assert calls(fake_cdk) == ["diff Dev/** -c env=dev | NO_COLOR=1 FORCE_COLOR=0"]
    assert capsys.readouterr().out == (
        "guard: no data-bearing resource would be deleted, orphaned or replaced\n"
    )


def test_a_loss_is_refused_and_allowed_only_explicitly(fake_cdk, monkeypatch, capsys):
    (fake_cdk.parent / "diff.txt").write_text(LOSS)
    assert guard("--cdk", str(fake_cdk), monkeypatch=monkeypatch) == EXIT_DATA_LOSS
    (change,) = data_loss_changes(LOSS)
    assert capsys.readouterr().err == (
        f"guard: refusing to deploy, 1 data-bearing resource(s) would be lost:\n  {change}\n"
        "Keep them (restore the dataset or setting that removed or renamed them), or, if losing "
        f"this data is intended, run again with {ALLOW_ENV}=1.\n"
    )
    for flag, env in [("--allow-data-loss", {}), (None, {ALLOW_ENV: "1"})]:
        argv = ["--cdk", str(fake_cdk), *([flag] if flag else [])]
        assert guard(*argv, env=env, monkeypatch=monkeypatch) == 0
        assert capsys.readouterr().out == (
            f"guard: {ALLOW_ENV}=1, deploying although data will be lost:\n  {change}\n"
        )
    # Only "1" allows it.
    assert guard("--cdk", str(fake_cdk), env={ALLOW_ENV: "yes"}, monkeypatch=monkeypatch) == 3


def test_a_failing_cdk_diff_stops_the_guard_with_its_output(fake_cdk, monkeypatch):
    (fake_cdk.parent / "exit.txt").write_text("2")
    with pytest.raises(SystemExit) as raised:
        guard("--cdk", str(fake_cdk), monkeypatch=monkeypatch)
    assert str(raised.value) == (f"guard: cdk diff failed (2):\n{KEEP}(stderr of cdk)\n")


def test_against_a_baseline_only_the_stacks_both_assemblies_have_are_compared(
    fake_cdk, tmp_path, monkeypatch
):
    (fake_cdk.parent / "diff.txt").write_text(LOSS)
    old = assembly(tmp_path / "old", {"A": None}, nested={"assembly-Dev": {"DevB": "Dev/B"}})
    new = assembly(tmp_path / "new", {"C": None}, nested={"assembly-Dev": {"DevB": "Dev/B"}})
    code = guard(
        "--cdk", str(fake_cdk), "--baseline", str(old), "--app", str(new), monkeypatch=monkeypatch
    )
    assert code == EXIT_DATA_LOSS
    template = old / "assembly-Dev" / "DevB.template.json"
    assert calls(fake_cdk) == [
        f"diff --app {new} --exclusively Dev/B --template {template} | NO_COLOR=1 FORCE_COLOR=0"
    ]


def test_a_baseline_needs_the_new_assembly(fake_cdk, tmp_path, monkeypatch, capsys):
    code = guard("--cdk", str(fake_cdk), "--baseline", str(tmp_path), monkeypatch=monkeypatch)
    assert code == 2
    assert capsys.readouterr().err == "guard: --baseline needs --app NEW_ASSEMBLY\n"
    assert calls(fake_cdk) == []


def test_report_lists_every_change_on_its_own_line(capsys):
    changes = data_loss_changes(LOSS + "[-] AWS::KMS::Key P/K Key1 replace\n")
    assert report(changes, allow=False) == EXIT_DATA_LOSS
    first, second = (str(change) for change in changes)
    assert capsys.readouterr().err.startswith(
        "guard: refusing to deploy, 2 data-bearing resource(s) would be lost:\n"
        f"  {first}\n  {second}\nKeep them"
    )


def test_the_cdk_cli_defaults_to_cdk_on_the_path(fake_cdk, monkeypatch):
    monkeypatch.setenv("PATH", f"{fake_cdk.parent}:/usr/bin:/bin")
    assert guard("--", "Dev/**", monkeypatch=monkeypatch) == 0
    assert calls(fake_cdk) == ["diff Dev/** | NO_COLOR=1 FORCE_COLOR=0"]


def test_an_assembly_without_artifacts_has_no_stacks(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "55.0.0"}))
    assert list(stack_templates(tmp_path)) == []
    (tmp_path / "manifest.json").write_text(
        json.dumps({"artifacts": {"Tree": {"type": "cdk:tree"}}})
    )
    assert list(stack_templates(tmp_path)) == []


def test_help_describes_the_command_and_every_option(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # one line per option: no wrapping
    parser = argparse.ArgumentParser(prog="ml-data-platform")
    subparsers = parser.add_subparsers(dest="command")
    register(subparsers)
    assert " refuse a deploy that would delete, orphan or replace a data-bearing resource\n" in (
        parser.format_help()
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["guard", "--help"])
    text = capsys.readouterr().out
    assert "\n\n``ml-data-platform guard``: run ``cdk diff`` and refuse when data would be" in text
    for expected in [
        "the CDK CLI to run (default: cdk)",
        "compare with this synthesized cloud assembly instead of the deployed stacks",
        "with --baseline: the new cloud assembly (directory with manifest.json)",
        f"list the changes but do not fail (or set {ALLOW_ENV}=1)",
        "after '--': stack patterns and options for cdk diff (e.g. 'Dev/**' -c env=dev)",
    ]:
        assert f" {expected}\n" in text, expected  # the whole help text, nothing around it
