"""``ml-data-platform restore``: every request it sends goes through botocore's Stubber, which
checks the parameters against the S3 / S3 Control API models and asserts them exactly."""

from datetime import date

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ml_data_platform.cli import main
from ml_data_platform.planning.prices import GB, load_prices
from ml_data_platform.restore import cli
from ml_data_platform.restore.request import (
    ArchiveClass,
    RestoreRequest,
    RestoreTier,
    estimate_cost,
    select,
)

ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/restore"
DAY1 = "clicks/year=2025/month=12/day=31/"
DAY2 = "clicks/year=2026/month=01/day=01/"


class Capture:
    """Matches anything in expected params and keeps what it matched."""

    def __eq__(self, other):
        self.value = other
        return True


@pytest.fixture
def clients(monkeypatch):
    made = {
        service: boto3.client(
            service,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for service in ("s3", "s3control")
    }
    stubs = {service: Stubber(client) for service, client in made.items()}
    monkeypatch.setattr(cli, "make_client", lambda service, region: made[service])
    for stub in stubs.values():
        stub.activate()
    yield stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def listing(stubs, prefix, contents, token=None, next_token=None):
    params = {"Bucket": "raw-zone", "Prefix": prefix}
    if token:
        params["ContinuationToken"] = token
    response = {"Contents": contents, "IsTruncated": bool(next_token), "KeyCount": len(contents)}
    if next_token:
        response["NextContinuationToken"] = next_token
    stubs["s3"].add_response("list_objects_v2", response, params)


def obj(key, size, storage_class):
    return {"Key": key, "Size": size, "StorageClass": storage_class}


def two_days(stubs):
    listing(
        stubs,
        DAY1,
        [
            obj(DAY1 + "hour=23/a.gz", 3 * GB, "DEEP_ARCHIVE"),
            obj(DAY1 + "hour=23/b.gz", 5, "GLACIER_IR"),
        ],
        next_token="t1",
    )
    listing(stubs, DAY1, [obj(DAY1 + "hour=23/c d.gz", GB, "GLACIER")], token="t1")
    listing(stubs, DAY2, [obj(DAY2 + "hour=00/e.gz", 7, "STANDARD")])


START = [
    "restore", "start", "--bucket", "raw-zone", "--dataset", "clicks",
    "--from", "2025-12-31", "--to", "2026-01-01",
    "--storage-class", "DEEP_ARCHIVE", "--storage-class", "GLACIER",
    "--tier", "BULK", "--days", "7",
]  # fmt: skip


def test_dry_run_lists_each_day_prefix_and_prints_count_bytes_and_cost(clients, capsys):
    two_days(clients)
    assert main([*START, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "(2 day prefixes)" in out
    assert f"objects: 2  bytes: {4 * GB:,}" in out
    assert "DEEP_ARCHIVE: 1 objects" in out and "GLACIER: 1 objects" in out
    # Bulk: Deep Archive 3 GB x 0.0025 + 1/1000 x 0.025; Glacier free; batch 0.25 + 2e-6;
    # copies 4 GB x 0.023 x 7/30.
    expected = 3 * 0.0025 + 0.025 / 1000 + 0.25 + 2 / 1e6 + 4 * 0.023 * 7 / 30
    assert f"estimated cost (USD): {expected:,.2f}" in out


def test_start_writes_the_manifest_and_creates_a_restore_job_reporting_failures_only(
    clients, capsys
):
    two_days(clients)
    body, key = Capture(), Capture()
    clients["s3"].add_response(
        "put_object",
        {"ETag": '"abc123"'},
        {"Bucket": "restores", "Key": key, "Body": body, "ContentType": "text/csv"},
    )
    clients["s3control"].add_response(
        "create_job",
        {"JobId": "job-1"},
        {
            "AccountId": ACCOUNT,
            "ConfirmationRequired": False,
            "Operation": {
                "S3InitiateRestoreObject": {"ExpirationInDays": 7, "GlacierJobTier": "BULK"}
            },
            "Report": {
                "Bucket": "arn:aws:s3:::restores",
                "Format": "Report_CSV_20180820",
                "Enabled": True,
                "Prefix": "reports",
                "ReportScope": "FailedTasksOnly",
            },
            "ClientRequestToken": ANY,
            "Manifest": {
                "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
                "Location": {"ObjectArn": ANY, "ETag": "abc123"},
            },
            "Description": "ml-data-platform restore clicks 2025-12-31..2026-01-01",
            "Priority": 10,
            "RoleArn": ROLE,
        },
    )
    args = [*START, "--account-id", ACCOUNT, "--role-arn", ROLE, "--reports-bucket", "restores"]
    assert main(args) == 0
    assert key.value.startswith("manifests/clicks/") and key.value.endswith(".csv")
    # keys URL-encoded ('=' and ' ' too), as the CSV manifest format requires
    assert body.value.decode().splitlines() == [
        "raw-zone,clicks/year%3D2025/month%3D12/day%3D31/hour%3D23/a.gz",
        "raw-zone,clicks/year%3D2025/month%3D12/day%3D31/hour%3D23/c%20d.gz",
    ]
    out = capsys.readouterr().out
    assert "job job-1 created" in out
    assert "Object Restore Completed" in out


def test_intelligent_tiering_job_omits_expiration(clients, capsys):
    listing(clients, DAY1, [obj(DAY1 + "x", 10, "INTELLIGENT_TIERING")])
    clients["s3"].add_response(
        "put_object",
        {"ETag": '"e"'},
        {"Bucket": "r", "Key": ANY, "Body": ANY, "ContentType": "text/csv"},
    )
    operation = Capture()
    clients["s3control"].add_response(
        "create_job",
        {"JobId": "job-2"},
        {
            "AccountId": ACCOUNT, "ConfirmationRequired": False, "Operation": operation,
            "Report": ANY, "ClientRequestToken": ANY, "Manifest": ANY, "Description": ANY,
            "Priority": 10, "RoleArn": ROLE,
        },
    )  # fmt: skip
    args = [
        "restore", "start", "--bucket", "raw-zone", "--dataset", "clicks", "--from", "2025-12-31",
        "--to", "2025-12-31", "--storage-class", "intelligent_tiering", "--tier", "STANDARD",
        "--account-id", ACCOUNT, "--role-arn", ROLE, "--reports-bucket", "r",
    ]  # fmt: skip
    assert main(args) == 0
    assert operation.value == {"S3InitiateRestoreObject": {"GlacierJobTier": "STANDARD"}}


def test_nothing_archived_creates_no_job(clients, capsys):
    listing(clients, DAY1, [obj(DAY1 + "x", 10, "STANDARD")])
    args = [
        "restore", "start", "--bucket", "raw-zone", "--dataset", "clicks", "--from", "2025-12-31",
        "--to", "2025-12-31", "--storage-class", "GLACIER", "--days", "1",
        "--account-id", ACCOUNT, "--role-arn", ROLE, "--reports-bucket", "r",
    ]  # fmt: skip
    assert main(args) == 0
    assert "nothing to restore" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--storage-class", "GLACIER", "--storage-class", "INTELLIGENT_TIERING", "--days", "1"],
         "cannot share a restore job"),
        (["--storage-class", "DEEP_ARCHIVE"], "--days) is required for GLACIER/DEEP_ARCHIVE"),
        (["--storage-class", "GLACIER", "--days", "0"], "expiration_days must be 1–"),
        (["--storage-class", "INTELLIGENT_TIERING", "--days", "3"], "must be omitted for INTELLIGENT_TIERING"),
        (["--storage-class", "GLACIER_IR", "--days", "3"], "'GLACIER_IR' is not restored from an archive"),
        (["--storage-class", "GLACIER", "--days", "3"], "--account-id, --role-arn, --reports-bucket required"),
    ],
)  # fmt: skip
def test_bad_requests_fail_before_any_aws_call(clients, capsys, extra, message):
    args = ["restore", "start", "--bucket", "b", "--dataset", "clicks", "--from", "2026-01-02",
            "--to", "2026-01-03", *extra]  # fmt: skip
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_status_follows_the_job_until_it_ends(clients, capsys, monkeypatch):
    for status, done in (("Active", 1), ("Complete", 2)):
        clients["s3control"].add_response(
            "describe_job",
            {
                "Job": {
                    "JobId": "job-1",
                    "Status": status,
                    "ProgressSummary": {
                        "TotalNumberOfTasks": 2,
                        "NumberOfTasksSucceeded": done,
                        "NumberOfTasksFailed": 0,
                    },
                }
            },
            {"AccountId": ACCOUNT, "JobId": "job-1"},
        )
    sleeps = []
    parser_args = cli.argparse.Namespace(
        account_id=ACCOUNT, job_id="job-1", follow=True, interval=30, region=None
    )
    assert cli.run_status(parser_args, sleep=sleeps.append) == 0
    assert sleeps == [30]
    out = capsys.readouterr().out
    assert "job job-1: Active; tasks 2, succeeded 1" in out
    assert "job job-1: Complete; tasks 2, succeeded 2" in out
    assert "readable when S3" in out


def test_status_of_a_failed_job_exits_1_with_the_reasons(clients, capsys):
    clients["s3control"].add_response(
        "describe_job",
        {
            "Job": {
                "JobId": "job-9",
                "Status": "Failed",
                "FailureReasons": [{"FailureCode": "400", "FailureReason": "manifest unreadable"}],
            }
        },
        {"AccountId": ACCOUNT, "JobId": "job-9"},
    )
    assert main(["restore", "status", "--account-id", ACCOUNT, "--job-id", "job-9"]) == 1
    assert "failures: manifest unreadable" in capsys.readouterr().out


def test_prefixes_cover_each_day_across_a_year_boundary():
    request = RestoreRequest(
        dataset="clicks",
        first_day=date(2025, 12, 31),
        last_day=date(2026, 1, 2),
        storage_classes=(ArchiveClass.GLACIER,),
        tier=RestoreTier.BULK,
        expiration_days=1,
    )
    assert request.prefixes == [DAY1, DAY2, "clicks/year=2026/month=01/day=02/"]


def test_cost_of_standard_tier_by_hand():
    request = RestoreRequest(
        dataset="clicks",
        first_day=date(2026, 1, 1),
        last_day=date(2026, 1, 1),
        storage_classes=(ArchiveClass.GLACIER, ArchiveClass.DEEP_ARCHIVE),
        tier=RestoreTier.STANDARD,
        expiration_days=30,
    )
    selection = select(
        request,
        [obj("a", 10 * GB, "GLACIER"), obj("b", 2 * GB, "DEEP_ARCHIVE"), obj("c", GB, "STANDARD")],
    )
    cost = estimate_cost(request, selection, load_prices("us-east-1"))
    assert cost.retrieval == pytest.approx(10 * 0.01 + 2 * 0.02)
    assert cost.requests == pytest.approx(0.05 / 1000 + 0.10 / 1000)
    assert cost.batch_operations == pytest.approx(0.25 + 2 / 1e6)
    assert cost.temporary_copies == pytest.approx(12 * 0.023)


def test_end_date_before_start_is_refused():
    with pytest.raises(ValueError, match="ends \\(2026-01-01\\) before it starts"):
        RestoreRequest(
            dataset="clicks",
            first_day=date(2026, 1, 2),
            last_day=date(2026, 1, 1),
            storage_classes=(ArchiveClass.GLACIER,),
            tier=RestoreTier.BULK,
            expiration_days=1,
        )


def test_the_documented_dry_run_output_is_what_the_cli_prints():
    """docs/constructs/lake-restore-access.md shows a dry run of 744 objects of 104 MiB."""
    from tests.conftest import ROOT

    request = RestoreRequest(
        dataset="clicks",
        first_day=date(2025, 1, 1),
        last_day=date(2025, 1, 31),
        storage_classes=(ArchiveClass.DEEP_ARCHIVE,),
        tier=RestoreTier.BULK,
        expiration_days=7,
    )
    listed = [obj(f"k{i}", 104 * 2**20, "DEEP_ARCHIVE") for i in range(744)]
    selection = select(request, listed)
    text = cli.render_selection(
        request, selection, estimate_cost(request, selection, load_prices("us-east-1"))
    )
    assert text in (ROOT / "docs" / "constructs" / "lake-restore-access.md").read_text()


def test_restore_prices_are_read_from_the_price_table():
    restore = load_prices("us-east-1").restore
    assert restore is not None
    # free per the S3 user guide: Bulk from Glacier Flexible Retrieval and Intelligent-Tiering,
    # Standard from Intelligent-Tiering
    assert restore.retrieval_gb["GLACIER"]["BULK"] == 0.0
    assert restore.retrieval_gb["INTELLIGENT_TIERING"] == {"STANDARD": 0.0, "BULK": 0.0}
    assert restore.retrieval_gb["DEEP_ARCHIVE"]["BULK"] > 0


def test_without_boto3_the_command_says_what_to_install(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 -> ImportError
    assert main([*START, "--dry-run"]) == 2
    assert "'restore' needs boto3: install the producer extra" in capsys.readouterr().err
