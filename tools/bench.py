#!/usr/bin/env python3
"""``make bench``: synth time of the platform as ratios to an empty app, and the suite time.

Each figure is the median of N synths in this one process (each with a fresh ``App``), with
CDK's built-in template validation at its default (on), as ``cdk synth`` runs it. Targets we
track: full platform (both environments) ≤ 1.5× an empty app; test suite ≤ 60 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402

from ml_data_platform.compliance import enable_compliance_checks  # noqa: E402
from ml_data_platform.config import all_environments  # noqa: E402
from ml_data_platform.stacks import MlDataPlatformStage, StorageStack  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]


def _app() -> cdk.App:
    return cdk.App(
        context=CONTEXT, outdir=tempfile.mkdtemp(prefix="bench-"), analytics_reporting=False
    )


def empty_app() -> None:
    _app().synth()


def storage_stack() -> None:
    app = _app()
    StorageStack(app, "Storage")
    enable_compliance_checks(app)
    app.synth()


def full_platform() -> None:
    app = _app()
    for name, settings in all_environments(CONTEXT).items():
        MlDataPlatformStage(app, name.capitalize(), settings=settings)
    enable_compliance_checks(app)
    app.synth()


def median_seconds(build: Callable[[], None]) -> float:
    build()  # warm-up: jsii kernel and module loading are not what we measure
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        build()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def suite_seconds() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    empty = median_seconds(empty_app)
    rows = [
        ("empty app", empty),
        ("storage stack", median_seconds(storage_stack)),
        ("full platform (all envs)", median_seconds(full_platform)),
    ]
    print(f"synth medians over {RUNS} runs (validation on, cdk-nag packs attached)")
    for name, seconds in rows:
        print(f"  {name:<26} {seconds:6.2f} s   {seconds / empty:5.2f}× empty app")
    if os.environ.get("BENCH_SKIP_SUITE") != "1":
        print(f"  {'test suite (wall)':<26} {suite_seconds():6.2f} s   target ≤ 60 s")


if __name__ == "__main__":
    main()
