#!/usr/bin/env python3
"""``make bench``: synth time of the platform as ratios to an empty CDK app, and the suite time.

Every sample is a whole ``python`` process, as ``cdk synth`` runs the app: interpreter and jsii
start-up, imports, construct building and synthesis with CDK's built-in CloudFormation
validation on (and the cdk-nag packs attached, except for the empty app). Each figure is the
median of ``BENCH_RUNS`` samples (default 5) taken in this one ``make bench`` run, so the ratios
compare like with like on the same machine and load. Targets we track: full platform (every
environment in cdk.json) ≤ 1.5× the empty app; test suite ≤ 60 s.

``--breakdown`` (on by default in ``make bench``) adds where the full platform's time goes:
phases measured inside the process, and the cost of validation and cdk-nag, each found by
switching it off (``CDK_VALIDATION=false``, no packs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTEXT_FILE = ROOT / "cdk.json"
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
FULL_PLATFORM_TARGET = 1.5
SUITE_TARGET_SECONDS = 60.0


@dataclass(frozen=True)
class Scenario:
    """One app to synthesize in a child process."""

    name: str
    label: str
    nag: bool = True


SCENARIOS = (
    Scenario("empty", "empty app", nag=False),
    # The same empty app with the packs attached: the fixed cost of loading cdk-nag.
    Scenario("empty-nag", "empty app + cdk-nag packs"),
    Scenario("storage", "storage stack"),
    Scenario("platform", "full platform (all envs)"),
)


def _build(scenario: str, app, context: dict) -> None:
    """Add the scenario's constructs to ``app`` (imports stay inside the timed child)."""
    if scenario == "storage":
        from ml_data_platform.stacks import StorageStack

        StorageStack(app, "Storage")
    elif scenario == "platform":
        from ml_data_platform.stacks import build_platform

        build_platform(app, context)


def child(scenario: str, nag: bool) -> dict[str, float]:
    """Synthesize ``scenario`` in this process; return its phase times in seconds."""
    start = time.perf_counter()
    import aws_cdk as cdk

    context = json.loads(CONTEXT_FILE.read_text())["context"]
    app = cdk.App(context=context, outdir=tempfile.mkdtemp(prefix="bench-"))
    imported = time.perf_counter()
    _build(scenario, app, context)
    if nag:
        from ml_data_platform.compliance import enable_compliance_checks

        enable_compliance_checks(app)
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    return {
        "import cdk": imported - start,
        "build (incl. our imports)": built - imported,
        "synth (incl. validation)": done - built,
    }


def sample(scenario: Scenario, env: dict[str, str] | None = None) -> tuple[float, dict]:
    """Wall time of one child process, and the phases it reported."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", scenario.name]
    if not scenario.nag:
        command.append("--no-nag")
    start = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    return wall, json.loads(result.stdout.strip().splitlines()[-1])


def median_sample(
    scenario: Scenario, runs: int, env: dict[str, str] | None = None
) -> tuple[float, dict[str, float]]:
    """Median wall time over ``runs`` children, and the median of each phase."""
    samples = [sample(scenario, env) for _ in range(runs)]
    walls = [wall for wall, _ in samples]
    phases = {
        phase: statistics.median(phases[phase] for _, phases in samples) for phase in samples[0][1]
    }
    return statistics.median(walls), phases


def ratio_rows(medians: Sequence[tuple[str, float]]) -> list[str]:
    """Table rows: seconds and the ratio to the first (baseline) entry."""
    baseline = medians[0][1]
    return [
        f"  {label:<28} {seconds:6.2f} s  {seconds / baseline:5.2f}×" for label, seconds in medians
    ]


DATAPATH_TESTS = "tests/datapath"
"""The data-path layer (Trino + the emulated Firehose): timed apart so its cost stays visible."""


def suite_seconds(*pytest_args: str) -> tuple[float, str]:
    """Wall time of the suite and the data-path layer's own summary line (empty if none)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    layer = [line for line in result.stdout.splitlines() if line.startswith("datapath layer:")]
    return time.perf_counter() - start, "".join(layer)


def breakdown(runs: int) -> None:
    platform = SCENARIOS[-1]
    wall, phases = median_sample(platform, runs)
    print(f"\nwhere the full platform's {wall:.2f} s go (medians of {runs}):")
    for phase, seconds in phases.items():
        print(f"  {phase:<28} {seconds:6.2f} s")
    startup = wall - sum(phases.values())
    print(f"  {'interpreter + exit':<28} {startup:6.2f} s")
    variants: list[tuple[str, Callable[[], float]]] = [
        (
            "without CDK validation",
            lambda: median_sample(platform, runs, {"CDK_VALIDATION": "false"})[0],
        ),
        (
            "without cdk-nag packs",
            lambda: median_sample(Scenario("platform", "", nag=False), runs)[0],
        ),
    ]
    for label, measure in variants:
        seconds = measure()
        print(f"  {label:<28} {seconds:6.2f} s  (saves {wall - seconds:.2f} s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=[s.name for s in SCENARIOS], help=argparse.SUPPRESS)
    parser.add_argument("--no-nag", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    parser.add_argument("--breakdown", action="store_true", help="also show where time goes")
    parser.add_argument("--skip-suite", action="store_true", help="do not time the test suite")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, nag=not args.no_nag)))
        return 0
    if args.runs < 1:
        parser.error(f"--runs must be ≥ 1, got {args.runs}")

    medians = [(s.label, median_sample(s, args.runs)[0]) for s in SCENARIOS]
    print(f"synth, whole processes, medians of {args.runs} (CDK validation on, cdk-nag attached)")
    print("\n".join(ratio_rows(medians)))
    ratio = medians[-1][1] / medians[0][1]
    verdict = "met" if ratio <= FULL_PLATFORM_TARGET else "NOT met"
    print(f"  target: full platform ≤ {FULL_PLATFORM_TARGET}× empty app: {verdict} ({ratio:.2f}×)")
    if args.breakdown:
        breakdown(args.runs)
    if not args.skip_suite:
        seconds, layer = suite_seconds()
        verdict = "met" if seconds <= SUITE_TARGET_SECONDS else "NOT met"
        print(
            f"\ntest suite (wall) {seconds:6.2f} s  target ≤ {SUITE_TARGET_SECONDS:.0f} s: {verdict}"
        )
        without, _ = suite_seconds(f"--ignore={DATAPATH_TESTS}")
        print(
            f"  without {DATAPATH_TESTS} {without:6.2f} s: the data-path layer adds "
            f"{seconds - without:.2f} s ({layer or 'no summary line'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
