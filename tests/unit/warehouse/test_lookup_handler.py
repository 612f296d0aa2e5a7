"""The warehouse lookup function's code, against botocore Stubber clients (every request is
checked against the service's API model)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from ml_data_platform.warehouse import lookup_handler
from ml_data_platform.warehouse.lookup import HANDLER_SOURCE

SECRET_ARN = (
    "arn:aws:secretsmanager:us-east-1:111111111111:secret:redshift!wh-warehouse-admin-AbCdEf"
)
PROPERTIES = {"NamespaceName": "wh-warehouse", "S3PrefixListName": "com.amazonaws.us-east-1.s3"}


def _clients(namespace: dict, prefix_lists: list[dict]):
    redshift = boto3.client("redshift-serverless", region_name="us-east-1")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    redshift_stub, ec2_stub = Stubber(redshift), Stubber(ec2)
    redshift_stub.add_response(
        "get_namespace", {"namespace": namespace}, {"namespaceName": "wh-warehouse"}
    )
    ec2_stub.add_response(
        "describe_managed_prefix_lists",
        {"PrefixLists": prefix_lists},
        {"Filters": [{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}]},
    )
    redshift_stub.activate()
    ec2_stub.activate()
    return redshift, ec2, (redshift_stub, ec2_stub)


NAMESPACE = {"namespaceName": "wh-warehouse", "adminPasswordSecretArn": SECRET_ARN}
S3_LIST = {"PrefixListId": "pl-63a5400a", "PrefixListName": "com.amazonaws.us-east-1.s3"}


def test_lookup_returns_the_managed_secret_and_the_s3_prefix_list():
    redshift, ec2, stubs = _clients(NAMESPACE, [S3_LIST])
    assert lookup_handler.lookup(PROPERTIES, redshift, ec2) == {
        "AdminPasswordSecretArn": SECRET_ARN,
        "S3PrefixListId": "pl-63a5400a",
    }
    for stub in stubs:
        stub.assert_no_pending_responses()


def test_lookup_fails_without_a_managed_secret():
    redshift, ec2, _ = _clients({"namespaceName": "wh-warehouse"}, [S3_LIST])
    with pytest.raises(ValueError, match="no Redshift-managed admin secret"):
        lookup_handler.lookup(PROPERTIES, redshift, ec2)


def test_lookup_fails_unless_exactly_one_prefix_list_matches():
    redshift, ec2, _ = _clients(NAMESPACE, [])
    with pytest.raises(ValueError, match=r"expected one prefix list named com\.amazonaws"):
        lookup_handler.lookup(PROPERTIES, redshift, ec2)


def test_response_body_is_what_cloudformation_expects():
    event = {"StackId": "stack", "RequestId": "req", "LogicalResourceId": "Lookup"}
    body = json.loads(
        lookup_handler.response_body(event, "Lookup", "FAILED", {}, "ValueError: boom")
    )
    assert body == {
        "Status": "FAILED",
        "Reason": "ValueError: boom",
        "PhysicalResourceId": "Lookup",
        "StackId": "stack",
        "RequestId": "req",
        "LogicalResourceId": "Lookup",
        "Data": {},
    }


def test_the_inlined_code_fits_cloudformation_zipfile_and_needs_no_extra_packages():
    source = HANDLER_SOURCE.read_text()
    assert len(source) <= 4096  # Lambda's inline (ZipFile) code limit in CloudFormation
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.strip().startswith(("import ", "from "))
    }
    assert imports <= {"json", "urllib", "boto3"}
