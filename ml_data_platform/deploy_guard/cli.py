"""``ml-data-platform guard``: run ``cdk diff`` and refuse when data would be lost.

``make deploy`` runs it before ``cdk deploy``. Against the account (the default) it diffs the
selected stacks with what is deployed; with ``--baseline`` it compares two synthesized cloud
assemblies (no account needed: what CI and the tests do).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ml_data_platform.deploy_guard.changes import DataLossChange, data_loss_changes

ALLOW_ENV = "ALLOW_DATA_LOSS"
"""Set to ``1`` to deploy anyway (the changes are still listed)."""

EXIT_DATA_LOSS = 3


def register(subparsers: Any) -> None:
    """Add the ``guard`` sub-command to an ``argparse`` sub-parsers object."""
    parser = subparsers.add_parser(
        "guard",
        help="refuse a deploy that would delete, orphan or replace a data-bearing resource",
        description=__doc__,
    )
    parser.add_argument("--cdk", default="cdk", help="the CDK CLI to run (default: cdk)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="compare with this synthesized cloud assembly instead of the deployed stacks",
    )
    parser.add_argument(
        "--app",
        type=Path,
        help="with --baseline: the new cloud assembly (directory with manifest.json)",
    )
    parser.add_argument(
        "--allow-data-loss",
        action="store_true",
        default=os.environ.get(ALLOW_ENV) == "1",
        help=f"list the changes but do not fail (or set {ALLOW_ENV}=1)",
    )
    parser.add_argument(
        "cdk_args",
        nargs=argparse.REMAINDER,
        help="after '--': stack patterns and options for cdk diff (e.g. 'Dev/**' -c env=dev)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    cdk_args = [arg for arg in args.cdk_args if arg != "--"]
    if args.baseline is not None:
        if args.app is None:
            print("guard: --baseline needs --app NEW_ASSEMBLY", file=sys.stderr)
            return 2
        outputs = list(_diff_assemblies(args.cdk, args.baseline, args.app))
    else:
        outputs = [_cdk_diff(args.cdk, cdk_args)]
    changes = [change for output in outputs for change in data_loss_changes(output)]
    return report(changes, allow=args.allow_data_loss)


def report(changes: Sequence[DataLossChange], *, allow: bool) -> int:
    """Print the changes; the exit code refuses them unless ``allow``."""
    if not changes:
        print("guard: no data-bearing resource would be deleted, orphaned or replaced")
        return 0
    listing = "\n  ".join(str(change) for change in changes)
    if allow:
        print(f"guard: {ALLOW_ENV}=1, deploying although data will be lost:\n  {listing}")
        return 0
    print(
        f"guard: refusing to deploy, {len(changes)} data-bearing resource(s) would be lost:\n"
        f"  {listing}\n"
        "Keep them (restore the dataset or setting that removed or renamed them), or, if losing "
        f"this data is intended, run again with {ALLOW_ENV}=1.",
        file=sys.stderr,
    )
    return EXIT_DATA_LOSS


def _cdk_diff(cdk: str, args: Sequence[str]) -> str:
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    result = subprocess.run(
        [cdk, "diff", *args], capture_output=True, text=True, env=env, check=False
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(f"guard: cdk diff failed ({result.returncode}):\n{output}")
    return output


def _diff_assemblies(cdk: str, baseline: Path, app: Path) -> Iterator[str]:
    """``cdk diff`` of every stack of ``app`` that ``baseline`` also has, against its old template."""
    old = dict(stack_templates(baseline))
    for stack_id, _template in stack_templates(app):
        if stack_id in old:
            yield _cdk_diff(
                cdk,
                ["--app", str(app), "--exclusively", stack_id, "--template", str(old[stack_id])],
            )


def stack_templates(assembly: Path) -> Iterator[tuple[str, Path]]:
    """``(hierarchical stack id, template path)`` of every stack in a cloud assembly, stages
    (nested assemblies) included."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            stack_id = artifact.get("displayName", artifact_id)
            yield stack_id, assembly / properties["templateFile"]
        elif artifact.get("type") == "cdk:cloud-assembly":
            yield from stack_templates(assembly / properties["directoryName"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="ml-data-platform")
    register(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["guard", *sys.argv[1:]])
    sys.exit(parsed.handler(parsed))
