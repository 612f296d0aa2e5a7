"""``ml-data-platform plan``: size and price a workload, optionally write its cdk.json context."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml_data_platform.planning.plan import Plan, plan
from ml_data_platform.planning.profile import (
    DEFAULT_ZONE_ACCESS,
    AccessPattern,
    WorkloadProfile,
    Zone,
)
from ml_data_platform.planning.sizing import StreamMode

DYNAMIC_PARTITIONING_NOTE = (
    "note: the context does not turn on dynamic partitioning (it needs partition keys: jq "
    "queries on your records); its buffering allows for it: add each dataset's partition_keys"
)


def register(subparsers: Any) -> None:
    """Add the ``plan`` sub-command to an ``argparse`` sub-parsers object."""
    parser = subparsers.add_parser(
        "plan",
        help="size and price a workload (shards, buffering, lifecycle, 12-month cost)",
        description="Turn a workload profile into stream, delivery and lifecycle settings and "
        "a month-by-month cost estimate (Kinesis, Firehose, Athena queries, and the raw zone "
        "with its lifecycle vs. S3 Standard only).",
    )
    parser.add_argument(
        "--events-per-second", type=float, required=True, help="peak events per second"
    )
    parser.add_argument(
        "--average-events-per-second",
        type=float,
        help="average events per second (default: the peak)",
    )
    parser.add_argument("--event-bytes", type=int, required=True, help="average event size")
    parser.add_argument(
        "--retention-days", type=int, help="expire raw data after this many days (default: keep)"
    )
    parser.add_argument(
        "--stream-retention-hours",
        type=int,
        default=24,
        help="Kinesis retention, 24-8760 (default: 24)",
    )
    parser.add_argument(
        "--queries-per-day", type=int, default=0, help="Athena queries per day (default: 0)"
    )
    parser.add_argument(
        "--query-scanned-mib",
        type=float,
        help="average MiB one Athena query scans (default: one day of raw data as stored, "
        "i.e. a query filtering on one day's partitions)",
    )
    parser.add_argument("--parquet", action="store_true", help="convert to Parquet in Firehose")
    parser.add_argument(
        "--dynamic-partitioning", action="store_true", help="partition by record keys in Firehose"
    )
    parser.add_argument(
        "--compression-ratio",
        type=float,
        default=1.0,
        help="ingested bytes per stored byte (default: 1, no compression)",
    )
    for zone in Zone:
        parser.add_argument(
            f"--{zone.value}-access",
            choices=[pattern.value for pattern in AccessPattern],
            default=DEFAULT_ZONE_ACCESS[zone].value,
            help=f"access pattern of the {zone.value} zone (default: %(default)s)",
        )
    parser.add_argument(
        "--analytics-parallelism",
        type=int,
        help="price the dataset's streaming-features application (Managed Service for Apache "
        "Flink, cdk.json datasets[].analytics) at this parallelism (default: off)",
    )
    parser.add_argument(
        "--analytics-parallelism-per-kpu",
        type=int,
        default=1,
        help="parallel tasks per KPU, 1-8 (default: 1)",
    )
    parser.add_argument(
        "--analytics-backup-gb",
        type=float,
        default=0.0,
        help="GB of the application's snapshots kept (default: 0, not priced)",
    )
    parser.add_argument("--region", default="us-east-1", help="price table (default: us-east-1)")
    parser.add_argument("--months", type=int, default=12, help="months to estimate (default: 12)")
    parser.add_argument("--env", default="dev", help="environment name in the context")
    parser.add_argument(
        "--write-context", metavar="FILE", help="write the cdk.json context snippet to FILE"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the plan; write the context if asked. 0 on success, 2 on bad input, 1 if the
    file cannot be written."""
    try:
        profile = WorkloadProfile(
            peak_events_per_second=args.events_per_second,
            average_events_per_second=(
                args.events_per_second
                if args.average_events_per_second is None
                else args.average_events_per_second
            ),
            average_event_bytes=args.event_bytes,
            retention_days=args.retention_days,
            stream_retention_hours=args.stream_retention_hours,
            zone_access={
                zone: AccessPattern(getattr(args, f"{zone.value}_access")) for zone in Zone
            },
            queries_per_day=args.queries_per_day,
            query_scanned_mib=args.query_scanned_mib,
            parquet=args.parquet,
            dynamic_partitioning=args.dynamic_partitioning,
            region=args.region,
            compression_ratio=args.compression_ratio,
            analytics_parallelism=args.analytics_parallelism,
            analytics_parallelism_per_kpu=args.analytics_parallelism_per_kpu,
            analytics_backup_gb=args.analytics_backup_gb,
        )
        result = plan(profile, months=args.months)
        context = result.to_context(args.env)
    except (TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render(result))
    if args.write_context:
        try:
            Path(args.write_context).write_text(json.dumps(context, indent=2) + "\n")
        except OSError as error:
            print(f"error: cannot write {args.write_context}: {error}", file=sys.stderr)
            return 1
        print(f"\ncontext for environment '{args.env}' written to {args.write_context}")
        if profile.dynamic_partitioning:
            print(DYNAMIC_PARTITIONING_NOTE)
    return 0


def render(result: Plan) -> str:
    """The plan as aligned text tables: settings, costs per month, storage per class, notes."""
    profile, costs = result.profile, result.costs
    stream = result.stream.mode.value
    if result.stream.mode is StreamMode.PROVISIONED:
        stream += f", {result.stream.shard_count} shards"
    retention = "kept" if profile.retention_days is None else f"{profile.retention_days} days"
    settings = [
        ["stream", f"{stream}, {profile.stream_retention_hours} h", result.stream.reason],
        [
            "delivery",
            f"{result.buffering.size_mib} MiB / {result.buffering.interval_seconds} s, "
            f"{result.delivery_format.value}"
            + (", dynamic partitioning" if profile.dynamic_partitioning else ""),
            result.buffering.reason,
        ],
        [
            "partitioning",
            f"{result.partitioning.granularity.name.lower()} (datasets[].granularity)",
            result.partitioning.reason,
        ],
        *(
            [
                f"lifecycle {zone.value}",
                result.lifecycle_presets[zone].value,
                profile.zone_access[zone].value
                + (f", raw data {retention}" if zone is Zone.RAW else ""),
            ]
            for zone in Zone
        ),
    ]
    flink = profile.analytics_kpus is not None
    if flink:
        settings.append(
            [
                "analytics",
                f"parallelism {profile.analytics_parallelism}, "
                f"{profile.analytics_parallelism_per_kpu} per KPU",
                f"{profile.analytics_kpus} KPU + 1 orchestration KPU (datasets[].analytics: "
                f"enabled, parallelism {profile.analytics_parallelism})",
            ]
        )
    money = [
        [
            str(month.month),
            _number(sum(month.lifecycle.gb_months.values())),
            _money(month.kinesis),
            _money(month.firehose),
            _money(month.athena),
            *([_money(month.flink)] if flink else []),
            _money(month.standard_only.total),
            _money(month.lifecycle.total),
            _money(month.standard_only_total),
            _money(month.total),
            _money(month.savings),
        ]
        for month in costs.months
    ]
    s3_standard = sum(month.standard_only.total for month in costs.months)
    s3_lifecycle = sum(month.lifecycle.total for month in costs.months)
    money.append(
        [
            "total",
            "",
            _money(sum(month.kinesis for month in costs.months)),
            _money(sum(month.firehose for month in costs.months)),
            _money(sum(month.athena for month in costs.months)),
            *([_money(sum(month.flink for month in costs.months))] if flink else []),
            _money(s3_standard),
            _money(s3_lifecycle),
            _money(costs.standard_only_total),
            _money(costs.total),
            _money(costs.savings),
        ]
    )
    classes = list(dict.fromkeys(c for m in costs.months for c in m.lifecycle.gb_months))
    storage = [
        [str(m.month), *(_number(m.lifecycle.gb_months.get(c, 0.0)) for c in classes)]
        for m in costs.months
    ]
    sections = [
        f"Plan: {profile.peak_events_per_second:,.0f} events/s peak, "
        f"{profile.average_events_per_second:,.0f} average, {profile.average_event_bytes:,} B "
        f"each; region {costs.region}",
        "",
        "Settings",
        _table(["setting", "value", "why"], settings, left=3),
        "",
        f"Cost per month ({costs.currency}, {costs.region} prices v{costs.price_version}); "
        "S3 = raw zone",
        _table(
            [
                "month",
                "GB-months",
                "Kinesis",
                "Firehose",
                "Athena",
                *(["Flink"] if flink else []),
                "S3 Standard-only",
                "S3 lifecycle",
                "total Standard-only",
                "total lifecycle",
                "savings",
            ],
            money,
        ),
        "",
        "Raw zone GB-months by storage class (with the lifecycle)",
        _table(["month", *classes], storage),
    ]
    notes = [*result.notes, *costs.notes]
    if notes:
        sections += ["", "Notes", *(f"- {note}" for note in notes)]
    return "\n".join(sections)


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


def _number(amount: float) -> str:
    return f"{amount:,.1f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """Aligned columns under a rule: the first ``left`` columns to the left, others right."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
