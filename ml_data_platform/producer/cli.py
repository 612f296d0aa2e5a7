"""``ml-data-platform send``: send a JSON-lines file to a Kinesis data stream.

boto3 is imported only when the command runs, so the CLI works without the producer extra (and
says how to install it when it is missing).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any
from urllib.parse import urlsplit

from ml_data_platform.local.emulator import DEFAULT_REGION, DUMMY_CREDENTIALS

INSTALL_HINT = (
    "install the producer extra from the checkout or the wheel "
    "(pip install 'path/to/ml-data-platform[producer]')"
)
NO_REGION = "no AWS region: pass --region, or set AWS_REGION or a region in your AWS profile"
NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY), or pass a local emulator's --endpoint-url"
)


def register(subparsers: Any) -> None:
    """Add the ``send`` sub-command to an ``argparse`` sub-parsers object."""
    parser = subparsers.add_parser(
        "send",
        help="send a JSON-lines file to a Kinesis data stream",
        description="Send each JSON object of a JSON-lines file as one Kinesis record "
        "(PutRecords batches; failed entries are retried with backoff).",
    )
    parser.add_argument("--stream", required=True, help="stream name or ARN")
    parser.add_argument("--file", required=True, help="JSON-lines file ('-' for stdin)")
    parser.add_argument(
        "--partition-key-field",
        help="object field used as partition key (default: a hash of the line)",
    )
    parser.add_argument(
        "--firehose-errors",
        action="store_true",
        help="the file is a Firehose error file (errors/<dataset>/...: JSON lines whose "
        "base64 'rawData' is the original record): send the decoded records",
    )
    parser.add_argument(
        "--endpoint-url",
        help="Kinesis endpoint, e.g. a local moto server (on 127.0.0.1/localhost: dummy "
        f"credentials, and region {DEFAULT_REGION} unless --region is given)",
    )
    parser.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Send the file; print a report; return 0 if every record was accepted, 1 if not, 2 on
    bad input or a missing dependency, region or credentials."""
    try:
        import boto3
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            NoRegionError,
        )
    except ImportError:
        print(f"error: 'send' needs boto3: {INSTALL_HINT}", file=sys.stderr)
        return 2

    from ml_data_platform.producer.kinesis_producer import (
        KinesisProducer,
        records_from_firehose_errors,
        records_from_json_lines,
    )

    options: dict[str, Any] = {"region_name": args.region, "endpoint_url": args.endpoint_url}
    if args.endpoint_url and _is_loopback(args.endpoint_url):
        # A local emulator: never send real credentials there, and need no AWS configuration.
        options = {**options, "region_name": args.region or DEFAULT_REGION, **DUMMY_CREDENTIALS}
    try:
        client = boto3.client("kinesis", **options)
    except NoRegionError:
        print(f"error: {NO_REGION}", file=sys.stderr)
        return 2
    target = "stream_arn" if args.stream.startswith("arn:") else "stream_name"
    producer = KinesisProducer(client=client, **{target: args.stream})
    parse = records_from_firehose_errors if args.firehose_errors else records_from_json_lines
    try:
        if args.file == "-":
            records = parse(sys.stdin, args.partition_key_field)
        else:
            with open(args.file, "rb") as lines:
                records = parse(lines, args.partition_key_field)
        report = producer.send(records)
    except (OSError, ValueError) as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 2
    except NoCredentialsError:
        print(f"error: {NO_CREDENTIALS}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"sent={report.records_sent} failed={report.records_failed} "
        f"batches={report.batches} retries={report.retries} bytes={report.bytes_sent}"
    )
    for index, code, message in report.failed[:10]:
        print(f"  record {index}: {code}: {message}", file=sys.stderr)
    return 0 if report.ok else 1


def _is_loopback(endpoint_url: str) -> bool:
    host = urlsplit(endpoint_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
