"""``ml-data-platform plan-ingestion``: every dataset priced dedicated and shared, side by side."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ml_data_platform.core.limits import (
    FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION,
)
from ml_data_platform.planning.cost import AnalyticsCost, analytics_costs
from ml_data_platform.planning.ingestion_mode import (
    DEFAULT_GROUP,
    DatasetVolume,
    IngestionModePlan,
    compare_ingestion_modes,
)
from ml_data_platform.planning.prices import HOURS_PER_MONTH, load_prices
from ml_data_platform.planning.sizing import StreamMode

DATASET_FORMAT = "NAME:RECORDS_PER_SECOND:RECORD_BYTES[:parquet][:keys][:group=GROUP]"


def register(subparsers: Any) -> None:
    """Add the ``plan-ingestion`` sub-command to an ``argparse`` sub-parsers object."""
    parser = subparsers.add_parser(
        "plan-ingestion",
        help="price each dataset with its own stream and on a shared stream, and recommend",
        description="Price a month of each dataset dedicated (its own Kinesis stream and "
        "Firehose) and shared (one stream per group, Firehose dynamic partitioning on the "
        "dataset field), per dataset and in total, and recommend the cheaper mix.",
    )
    parser.add_argument(
        "--dataset",
        action="append",
        default=[],
        metavar=DATASET_FORMAT,
        help="one dataset's average traffic (repeat per dataset)",
    )
    parser.add_argument(
        "--env",
        help="price the datasets of this environment in cdk.json that give a 'volume', with "
        "its stream and delivery settings (instead of --dataset)",
    )
    parser.add_argument(
        "--context",
        default="cdk.json",
        help="the cdk.json to read --env from (default: %(default)s)",
    )
    parser.add_argument(
        "--stream-mode", choices=[m.value for m in StreamMode], default=StreamMode.ON_DEMAND.value
    )
    parser.add_argument("--shard-count", type=int, help="shards per stream (provisioned)")
    parser.add_argument(
        "--buffer-size-mib", type=int, default=FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION
    )
    parser.add_argument(
        "--buffer-interval-seconds", type=int, default=FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS
    )
    parser.add_argument(
        "--jq-hours",
        type=float,
        default=HOURS_PER_MONTH,
        help="jq processing hours per shared delivery per month (default: all month)",
    )
    parser.add_argument("--region", default="us-east-1", help="price table (default: us-east-1)")
    parser.set_defaults(handler=run)


def parse_dataset(text: str) -> DatasetVolume:
    """``clicks:50:800`` / ``features:5:2000:parquet`` / ``orders:5:900:keys`` (partition
    keys from the records) / ``logs:1:300:group=daily``."""
    parts = text.split(":")
    if len(parts) < 3:
        raise ValueError(f"--dataset {text!r}: expected {DATASET_FORMAT}")
    name, rate, size, *options = parts
    parquet, partitioned, group = False, False, DEFAULT_GROUP
    for option in options:
        if option == "parquet":
            parquet = True
        elif option == "keys":
            partitioned = True
        elif option.startswith("group=") and option != "group=":
            group = option.removeprefix("group=")
        else:
            raise ValueError(f"--dataset {text!r}: unknown option {option!r} ({DATASET_FORMAT})")
    try:
        return DatasetVolume(
            name, float(rate), int(size), parquet=parquet, group=group, partitioned=partitioned
        )
    except ValueError as error:
        raise ValueError(f"--dataset {text!r}: {error}") from error


def run(args: argparse.Namespace) -> int:
    """Print the comparison; 2 on bad input."""
    unpriced: list[str] = []
    features: tuple[AnalyticsCost, ...] = ()
    result: IngestionModePlan | None = None
    configured: dict[str, str] | None = None
    try:
        if bool(args.env) == bool(args.dataset):
            raise ValueError("give either --env or --dataset (repeated)")
        options: dict[str, Any] = {
            "stream_mode": StreamMode(args.stream_mode),
            "shard_count": args.shard_count,
            "buffer_size_mib": args.buffer_size_mib,
            "buffer_interval_seconds": args.buffer_interval_seconds,
        }
        prices = load_prices(args.region)
        if args.env:
            volumes, unpriced, options, analytics, configured = _environment(args.context, args.env)
            features = analytics_costs(analytics, prices) if analytics else ()
            if not volumes and not features:
                raise ValueError(
                    f"environment {args.env!r}: no dataset gives a 'volume' "
                    '({"records_per_second": ..., "record_bytes": ...}) to price'
                )
        else:
            volumes = [parse_dataset(text) for text in args.dataset]
        if volumes:
            result = compare_ingestion_modes(
                volumes, jq_hours=args.jq_hours, prices=prices, **options
            )
    except (TypeError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if result is not None:
        print(render(result, configured))
    if unpriced:
        print(f"\nnot priced (no 'volume' in the config; they stay dedicated): {unpriced}")
    if features:
        print(("\n" if result or unpriced else "") + render_analytics(features, prices.currency))
    return 0


def render_analytics(costs: tuple[AnalyticsCost, ...], currency: str) -> str:
    """One line per dataset with ``analytics`` on: its application's month."""
    lines = [
        f"Streaming features per month ({currency}; Managed Service for Apache Flink, running "
        "all month; snapshots not priced)",
        *(
            f"- {c.dataset}: parallelism {c.parallelism} = {c.kpus} KPU + 1 orchestration KPU: "
            f"{c.kpu_hours:,.2f} KPU-hours + {c.running_storage:,.2f} running storage "
            f"= {c.total:,.2f}"
            for c in costs
        ),
    ]
    return "\n".join(lines)


def _environment(
    context_file: str, env: str
) -> tuple[list[DatasetVolume], list[str], dict[str, Any], dict[str, int], dict[str, str]]:
    """The volumes of ``env``'s datasets, the datasets without one, its stream and delivery
    settings, the parallelism of each dataset with ``analytics`` on, and each dataset's
    configured mode (``shared (group)``/``dedicated``, with ``, planner`` when cdk.json leaves
    it to the planner), from the ``ml-data-platform`` context of ``context_file``."""
    from ml_data_platform.config import settings_from_context

    context = json.loads(Path(context_file).read_text()).get("context", {})
    settings = settings_from_context(context, env)
    names = [d.name for d in settings.datasets]
    volumes = [settings.volumes[n] for n in names if n in settings.volumes]
    analytics = {name: features.parallelism for name, features in settings.analytics.items()}
    options = {
        "stream_mode": settings.stream.mode,
        "shard_count": settings.stream.shard_count,
        "buffer_size_mib": settings.delivery.buffer_size_mib,
        "buffer_interval_seconds": settings.delivery.buffer_interval_seconds,
    }
    unpriced = [n for n in names if n not in settings.volumes] if volumes else []
    configured = {}
    for name in names:
        ingestion = settings.ingestion_of(name)
        mode = ingestion.mode.value + (f" ({ingestion.group})" if ingestion.group else "")
        configured[name] = mode + (", planner" if ingestion.planned else "")
    return volumes, unpriced, options, analytics, configured


def render(result: IngestionModePlan, configured: dict[str, str] | None = None) -> str:
    """A table: each dataset's month dedicated and shared, the recommendation and why; with
    ``configured`` (``--env``) also what cdk.json sets for each dataset."""
    headers: tuple[str, ...] = ("dataset", "group", "dedicated", "shared", "recommended")
    if configured is not None:
        headers += ("cdk.json",)
    headers += ("why",)
    rows = [
        (
            d.volume.name,
            d.volume.group,
            f"{d.dedicated.total:,.2f}",
            "-" if d.shared is None else f"{d.shared.total:,.2f}",
            d.recommended.value,
            *(() if configured is None else (configured[d.volume.name],)),
            d.reason,
        )
        for d in result.datasets
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers[:-1])]

    def line(cells: tuple[str, ...]) -> str:
        fixed = "  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths, strict=True))
        return f"{fixed}  {cells[-1]}"

    saved = result.all_dedicated_total - result.recommended_total
    lines = [
        f"Ingestion per month ({result.currency}): each dataset dedicated vs shared",
        line(headers),
        *(line(row) for row in rows),
        "",
        f"all dedicated: {result.all_dedicated_total:,.2f}   recommended: "
        f"{result.recommended_total:,.2f}   saves {saved:,.2f} a month",
        "",
        "Assumptions:",
        *(f"- {note}" for note in result.notes),
    ]
    return "\n".join(lines)
