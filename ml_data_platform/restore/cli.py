"""``ml-data-platform restore``: bring a dataset's archived days back with S3 Batch Operations.

``restore start`` lists the dataset's day prefixes (ListObjectsV2), keeps the objects in the
requested archive classes, prints their count, bytes and estimated cost, and (without
``--dry-run``) writes a CSV manifest into the restore bucket and creates the job (report of
failed tasks only). ``restore status`` describes a job, ``--follow`` until it ends.

Why ListObjectsV2 rather than the daily inventory: a restore covers a few days of one dataset,
whose prefixes the partition layout knows, so listing reads exactly those objects, is current
(the inventory is up to a day old and misses objects archived since) and gives the exact count
and bytes for ``--dry-run``; the inventory's manifest would list the whole zone. For restores
of millions of objects, build the job from the inventory (``LakeRestoreAccess`` delivers it in
``S3InventoryReport_CSV_20161130``, which Batch Operations reads) instead.

A task completes when the restore is *initiated*: a job that is ``Complete`` has asked S3 for
every copy, which is readable hours later, when S3 emits ``Object Restore Completed``
(``RestoreCompletedNotification`` sends it to the alarm topic).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

from ml_data_platform.planning.prices import GB, load_prices
from ml_data_platform.restore.access import MANIFEST_PREFIX, REPORT_PREFIX
from ml_data_platform.restore.request import (
    RestoreRequest,
    RestoreTier,
    Selection,
    estimate_cost,
    parse_classes,
    select,
)

MANIFEST_FORMAT = "S3BatchOperations_CSV_20180820"
REPORT_FORMAT = "Report_CSV_20180820"
FAILED_TASKS_ONLY = "FailedTasksOnly"
TERMINAL_STATUSES = frozenset({"Complete", "Failed", "Cancelled"})
DEFAULT_PRIORITY = 10
READABLE_NOTE = (
    "note: a task succeeds when its restore is initiated; each object is readable when S3 "
    "emits 'Object Restore Completed' (Bulk: up to 12 hours from Glacier, 48 from Deep Archive)"
)


class MissingBoto3(RuntimeError):
    """boto3 is not installed (it comes with the ``producer`` extra)."""


def make_client(service: str, region: str | None) -> Any:
    """A boto3 client (tests replace this function to hand out stubbed clients)."""
    try:
        import boto3
    except ImportError:
        raise MissingBoto3(
            "'restore' needs boto3: install the producer extra from the checkout or the wheel "
            "(pip install 'path/to/ml-data-platform[producer]')"
        ) from None
    return boto3.client(service, region_name=region)


def register(subparsers: Any) -> None:
    """Add the ``restore`` sub-command (``start``, ``status``)."""
    parser = subparsers.add_parser(
        "restore",
        help="restore archived days of a dataset with S3 Batch Operations",
        description=__doc__.split("\n\n")[0],
    )
    actions = parser.add_subparsers(dest="restore_command", required=True)
    start = actions.add_parser("start", help="select objects, estimate, create the job")
    start.add_argument("--bucket", required=True, help="the zone bucket (e.g. the raw zone)")
    start.add_argument("--dataset", required=True, help="dataset name (its top-level prefix)")
    start.add_argument("--from", dest="first_day", type=_day, required=True, help="YYYY-MM-DD")
    start.add_argument(
        "--to", dest="last_day", type=_day, required=True, help="YYYY-MM-DD, inclusive"
    )
    start.add_argument(
        "--storage-class",
        dest="storage_classes",
        action="append",
        required=True,
        help="GLACIER, DEEP_ARCHIVE or INTELLIGENT_TIERING (repeatable; Glacier classes and "
        "Intelligent-Tiering need separate jobs)",
    )
    start.add_argument(
        "--tier", choices=[t.value for t in RestoreTier], default="BULK", help="default: BULK"
    )
    start.add_argument(
        "--days", type=int, help="days the restored copy stays (GLACIER/DEEP_ARCHIVE only)"
    )
    start.add_argument("--dry-run", action="store_true", help="print the estimate, create nothing")
    start.add_argument("--account-id", help="account of the job (required unless --dry-run)")
    start.add_argument("--role-arn", help="LakeRestoreAccess.role (required unless --dry-run)")
    start.add_argument(
        "--reports-bucket", help="LakeRestoreAccess.reports bucket (required unless --dry-run)"
    )
    start.add_argument("--priority", type=int, default=DEFAULT_PRIORITY, help="default: 10")
    start.add_argument("--region", help="AWS region (default: the SDK's)")
    start.add_argument(
        "--price-region", default="us-east-1", help="price table of the estimate (us-east-1)"
    )
    start.set_defaults(handler=run_start)
    status = actions.add_parser("status", help="describe a job; --follow until it ends")
    status.add_argument("--account-id", required=True)
    status.add_argument("--job-id", required=True)
    status.add_argument("--follow", action="store_true", help="poll until the job ends")
    status.add_argument("--interval", type=int, default=60, help="seconds between polls")
    status.add_argument("--region", help="AWS region (default: the SDK's)")
    status.set_defaults(handler=run_status)


def run_start(args: argparse.Namespace) -> int:
    """0 on success (or nothing to restore), 2 on bad input."""
    try:
        request = RestoreRequest(
            dataset=args.dataset,
            first_day=args.first_day,
            last_day=args.last_day,
            storage_classes=parse_classes(args.storage_classes),
            tier=RestoreTier(args.tier),
            expiration_days=args.days,
        )
        prices = load_prices(args.price_region)
        if not args.dry_run:
            missing = [
                f"--{name.replace('_', '-')}"
                for name in ("account_id", "role_arn", "reports_bucket")
                if not getattr(args, name)
            ]
            if missing:
                raise ValueError(f"{', '.join(missing)} required to create the job (or --dry-run)")
    except (TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        s3 = make_client("s3", args.region)
    except MissingBoto3 as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    selection = select(request, _list(s3, args.bucket, request.prefixes))
    print(render_selection(request, selection, estimate_cost(request, selection, prices)))
    if args.dry_run:
        return 0
    if not selection.count:
        print("nothing to restore: no job created")
        return 0
    partition = args.role_arn.split(":")[1]
    manifest_key = f"{MANIFEST_PREFIX}{request.dataset}/{uuid.uuid4()}.csv"
    put = s3.put_object(
        Bucket=args.reports_bucket,
        Key=manifest_key,
        Body=manifest_csv(args.bucket, selection).encode(),
        ContentType="text/csv",
    )
    operation: dict[str, Any] = {"GlacierJobTier": request.tier.value}
    if request.expiration_days is not None:
        operation["ExpirationInDays"] = request.expiration_days
    job = make_client("s3control", args.region).create_job(
        AccountId=args.account_id,
        ConfirmationRequired=False,
        Operation={"S3InitiateRestoreObject": operation},
        Report={
            "Bucket": f"arn:{partition}:s3:::{args.reports_bucket}",
            "Format": REPORT_FORMAT,
            "Enabled": True,
            "Prefix": REPORT_PREFIX,
            "ReportScope": FAILED_TASKS_ONLY,
        },
        ClientRequestToken=str(uuid.uuid4()),
        Manifest={
            "Spec": {"Format": MANIFEST_FORMAT, "Fields": ["Bucket", "Key"]},
            "Location": {
                "ObjectArn": f"arn:{partition}:s3:::{args.reports_bucket}/{manifest_key}",
                "ETag": put["ETag"].strip('"'),
            },
        },
        Description=(
            f"ml-data-platform restore {request.dataset} {request.first_day}..{request.last_day}"
        ),
        Priority=args.priority,
        RoleArn=args.role_arn,
    )
    print(f"job {job['JobId']} created (manifest s3://{args.reports_bucket}/{manifest_key})")
    print(
        f"follow it: ml-data-platform restore status --account-id {args.account_id} "
        f"--job-id {job['JobId']} --follow"
    )
    print(READABLE_NOTE)
    return 0


def run_status(args: argparse.Namespace, *, sleep: Callable[[float], None] = time.sleep) -> int:
    """Print the job's status (each change with ``--follow``); 0 if it completed or is
    running, 1 if it failed or was cancelled."""
    try:
        client = make_client("s3control", args.region)
    except MissingBoto3 as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    while True:
        job = client.describe_job(AccountId=args.account_id, JobId=args.job_id)["Job"]
        print(render_status(job))
        if not args.follow or job["Status"] in TERMINAL_STATUSES:
            break
        sleep(args.interval)
    if job["Status"] == "Complete":
        print(READABLE_NOTE)
    return 1 if job["Status"] in {"Failed", "Cancelled"} else 0


def render_selection(request: RestoreRequest, selection: Selection, cost: Any) -> str:
    lines = [
        f"restore {request.dataset} {request.first_day}..{request.last_day} "
        f"({len(request.prefixes)} day prefixes), tier {request.tier.value}, "
        + (
            f"copies kept {request.expiration_days} days"
            if request.expiration_days
            else "no expiration (Intelligent-Tiering)"
        ),
        f"objects: {selection.count:,}  bytes: {selection.bytes:,} ({selection.bytes / GB:,.3f} GB)",
    ]
    for archive_class, (count, size) in sorted(
        selection.by_class().items(), key=lambda i: i[0].value
    ):
        lines.append(f"  {archive_class.value}: {count:,} objects, {size:,} bytes")
    lines.append(
        f"estimated cost ({cost.currency}): {cost.total:,.2f} = retrieval {cost.retrieval:,.2f} "
        f"+ requests {cost.requests:,.2f} + batch operations {cost.batch_operations:,.2f} "
        f"+ temporary copies {cost.temporary_copies:,.2f}"
    )
    return "\n".join(lines)


def render_status(job: dict[str, Any]) -> str:
    progress = job.get("ProgressSummary", {})
    text = (
        f"job {job['JobId']}: {job['Status']}; tasks {progress.get('TotalNumberOfTasks', 0)}, "
        f"succeeded {progress.get('NumberOfTasksSucceeded', 0)}, "
        f"failed {progress.get('NumberOfTasksFailed', 0)}"
    )
    reasons = [r.get("FailureReason", "") for r in job.get("FailureReasons", [])]
    if reasons:
        text += "; failures: " + "; ".join(reasons)
    return text


def manifest_csv(bucket: str, selection: Selection) -> str:
    """``bucket,key`` lines with URL-encoded keys (``S3BatchOperations_CSV_20180820``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for obj in selection.objects:
        writer.writerow([bucket, quote(obj.key, safe="/")])
    return out.getvalue()


def _list(s3: Any, bucket: str, prefixes: list[str]) -> Iterator[dict[str, Any]]:
    for prefix in prefixes:
        token = None
        while True:
            kwargs = {"Bucket": bucket, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = s3.list_objects_v2(**kwargs)
            yield from page.get("Contents", [])
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
