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

``--datasets 1,10,100,300`` (on in ``make bench``) synthesizes one environment (dev) with that
many datasets (copies of its first dataset), validation and cdk-nag on, ``BENCH_DATASET_RUNS``
samples each (default 1: the 300-dataset app takes minutes), and prints the time, the marginal
time per added dataset, the stack count and the largest stack's resources and template bytes
against CloudFormation's limits (targets: linear growth; every stack under 80 % of each limit).
``--keep`` keeps the largest assembly for cfn-lint/checkov.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
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
SUITE_TARGET_SECONDS = 150.0  # the whole session, user apps included: well under 3 minutes
DATASET_COUNTS = (1, 10, 100, 300)
MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000
LIMIT_TARGET = 0.8
LINEARITY_TOLERANCE = 1.5
"""Growth counts as linear when the marginal time per dataset of the last step is at most this
multiple of the step before (noise and cache warm-up make a slope vary a little)."""


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


COPY_DROPS = ("analytics", "ingestion", "shared_group", "volume")
"""Keys of the first dataset its copies do not take."""


def with_datasets(context: dict, count: int) -> dict:
    """``context`` with only the dev environment, holding ``count`` copies of its first dataset
    (``dataset-0000``, ...), the first one keeping its name (and its streaming-features job:
    the copies are plain dedicated datasets, the worst case for stack sizes)."""
    context = json.loads(json.dumps(context))
    root = context["ml-data-platform"]
    dev = root["environments"]["dev"]
    first = dev["datasets"][0]
    copy = {k: v for k, v in first.items() if k not in COPY_DROPS}
    dev["datasets"] = [first] + [dict(copy, name=f"dataset-{i:04d}") for i in range(1, count)]
    root["environments"] = {"dev": dev}
    return context


def stack_sizes(outdir: str) -> list[tuple[str, int, int]]:
    """``(template file, resources, bytes on disk)`` of every template under ``outdir``."""
    sizes = []
    for path in sorted(Path(outdir).rglob("*.template.json")):
        template = json.loads(path.read_text())
        sizes.append((path.name, len(template.get("Resources", {})), path.stat().st_size))
    return sizes


def child(scenario: str, nag: bool, datasets: int = 0, outdir: str | None = None) -> dict:
    """Synthesize ``scenario`` in this process; return its phase times in seconds (and, for
    ``datasets``, the stack sizes)."""
    start = time.perf_counter()
    import aws_cdk as cdk

    context = json.loads(CONTEXT_FILE.read_text())["context"]
    if datasets:
        context = with_datasets(context, datasets)
    outdir = outdir or tempfile.mkdtemp(prefix="bench-")
    app = cdk.App(context=context, outdir=outdir)
    imported = time.perf_counter()
    _build(scenario, app, context)
    if nag:
        from ml_data_platform.compliance import enable_compliance_checks

        enable_compliance_checks(app)
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    phases: dict = {
        "import cdk": imported - start,
        "build (incl. our imports)": built - imported,
        "synth (incl. validation)": done - built,
    }
    if datasets:
        phases["stacks"] = stack_sizes(outdir)
    return phases


def sample(
    scenario: Scenario,
    env: dict[str, str] | None = None,
    datasets: int = 0,
    outdir: str | None = None,
) -> tuple[float, dict]:
    """Wall time of one child process, and the phases it reported."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", scenario.name]
    if not scenario.nag:
        command.append("--no-nag")
    if datasets:
        command += ["--child-datasets", str(datasets)]
    if outdir:
        command += ["--child-outdir", outdir]
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
    for line in result.stdout.splitlines():
        if line.startswith(("waited for work started after collection:", "user apps:")):
            print(f"  {line}")
    return time.perf_counter() - start, "".join(layer)


@dataclass(frozen=True)
class ScalePoint:
    """One dataset count: median seconds, stacks, and the largest stack's size."""

    datasets: int
    seconds: float
    stacks: int
    max_resources: int
    max_template_bytes: int


def scale_point(datasets: int, stacks: list, seconds: float) -> ScalePoint:
    return ScalePoint(
        datasets,
        seconds,
        len(stacks),
        max(resources for _, resources, _ in stacks),
        max(size for _, _, size in stacks),
    )


def marginal_seconds(points: Sequence[ScalePoint]) -> list[float]:
    """Seconds per added dataset between consecutive points."""
    return [
        (b.seconds - a.seconds) / (b.datasets - a.datasets) for a, b in itertools.pairwise(points)
    ]


def scale_rows(points: Sequence[ScalePoint]) -> list[str]:
    """The table ``make bench`` prints for the dataset counts, and the verdicts."""
    slopes = [math.nan, *marginal_seconds(points)]
    rows = [
        f"  {'datasets':>8} {'seconds':>8} {'s/dataset':>9} {'stacks':>6} "
        f"{'largest stack: resources':>25} {'template bytes':>22}"
    ]
    for point, slope in zip(points, slopes, strict=True):
        marginal = "" if math.isnan(slope) else f"{slope:.3f}"
        rows.append(
            f"  {point.datasets:>8} {point.seconds:>8.2f} {marginal:>9} {point.stacks:>6} "
            f"{point.max_resources:>14} ({point.max_resources / MAX_RESOURCES:4.0%} of 500) "
            f"{point.max_template_bytes:>10,} ({point.max_template_bytes / MAX_TEMPLATE_BYTES:4.0%}"
            " of 1 MB)"
        )
    worst = max(
        max(p.max_resources / MAX_RESOURCES, p.max_template_bytes / MAX_TEMPLATE_BYTES)
        for p in points
    )
    verdict = "met" if worst < LIMIT_TARGET else "NOT met"
    rows.append(
        f"  target: every stack < {LIMIT_TARGET:.0%} of each limit: {verdict} ({worst:.0%})"
    )
    steps = marginal_seconds(points)
    if len(steps) >= 2:
        linear = steps[-1] <= LINEARITY_TOLERANCE * max(steps[-2], 1e-9)
        rows.append(
            f"  target: linear growth (last step ≤ {LINEARITY_TOLERANCE}× the one before): "
            f"{'met' if linear else 'NOT met'} ({steps[-2]:.3f} → {steps[-1]:.3f} s/dataset)"
        )
    return rows


def scaling(counts: Sequence[int], runs: int, keep: bool) -> None:
    platform = Scenario("platform", "")
    points = []
    kept = ""
    for count in counts:
        samples = []
        for run in range(runs):
            outdir = tempfile.mkdtemp(prefix=f"bench-{count}-") if keep and run == 0 else None
            samples.append(sample(platform, datasets=count, outdir=outdir))
            kept = outdir or kept
        seconds = statistics.median(wall for wall, _ in samples)
        points.append(scale_point(count, samples[0][1]["stacks"], seconds))
    print(f"\none environment with N datasets (validation and cdk-nag on, median of {runs}):")
    print("\n".join(scale_rows(points)))
    if kept:
        print(f"  assembly of {counts[-1]} datasets kept in {kept} (cfn-lint, checkov)")


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


def parse_counts(parser: argparse.ArgumentParser, text: str) -> list[int]:
    """``"1,10,100"`` -> ``[1, 10, 100]`` (ascending, each ≥ 1)."""
    if not text:
        return []
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        parser.error(f"--datasets must be comma-separated integers, got {text!r}")
    if any(c < 1 for c in counts) or counts != sorted(set(counts)):
        parser.error(f"--datasets must be ascending counts ≥ 1, got {text!r}")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=[s.name for s in SCENARIOS], help=argparse.SUPPRESS)
    parser.add_argument("--no-nag", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    parser.add_argument("--breakdown", action="store_true", help="also show where time goes")
    parser.add_argument("--skip-suite", action="store_true", help="do not time the test suite")
    parser.add_argument(
        "--datasets",
        default="",
        help="comma-separated dataset counts to synthesize one environment with (e.g. "
        + ",".join(map(str, DATASET_COUNTS))
        + ")",
    )
    parser.add_argument(
        "--dataset-runs", type=int, default=int(os.environ.get("BENCH_DATASET_RUNS", "1"))
    )
    parser.add_argument("--keep", action="store_true", help="keep the largest dataset assembly")
    parser.add_argument("--only-datasets", action="store_true", help="skip the other benches")
    parser.add_argument("--child-datasets", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--child-outdir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = child(
            args.child, nag=not args.no_nag, datasets=args.child_datasets, outdir=args.child_outdir
        )
        print(json.dumps(result))
        return 0
    if args.runs < 1:
        parser.error(f"--runs must be ≥ 1, got {args.runs}")
    counts = parse_counts(parser, args.datasets)
    if args.only_datasets:
        if not counts:
            parser.error("--only-datasets needs --datasets")
        scaling(counts, args.dataset_runs, args.keep)
        return 0

    medians = [(s.label, median_sample(s, args.runs)[0]) for s in SCENARIOS]
    print(f"synth, whole processes, medians of {args.runs} (CDK validation on, cdk-nag attached)")
    print("\n".join(ratio_rows(medians)))
    ratio = medians[-1][1] / medians[0][1]
    verdict = "met" if ratio <= FULL_PLATFORM_TARGET else "NOT met"
    print(f"  target: full platform ≤ {FULL_PLATFORM_TARGET}× empty app: {verdict} ({ratio:.2f}×)")
    if args.breakdown:
        breakdown(args.runs)
    if counts:
        scaling(counts, args.dataset_runs, args.keep)
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
