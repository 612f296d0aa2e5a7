"""``ml-data-platform send``: send a JSON-lines file to a Kinesis data stream.

boto3 is imported only when the command runs, so the CLI works without the producer extra.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


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
    parser.add_argument("--endpoint-url", help="Kinesis endpoint, e.g. a local moto server")
    parser.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Send the file; print a report; return 0 if every record was accepted, 1 if not, 2 on
    bad input."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from ml_data_platform.producer.kinesis_producer import KinesisProducer

    client = boto3.client("kinesis", region_name=args.region, endpoint_url=args.endpoint_url)
    target = "stream_arn" if args.stream.startswith("arn:") else "stream_name"
    producer = KinesisProducer(client=client, **{target: args.stream})
    source = sys.stdin if args.file == "-" else args.file
    try:
        report = producer.send_json_lines(source, partition_key_field=args.partition_key_field)
    except (OSError, ValueError) as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
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
