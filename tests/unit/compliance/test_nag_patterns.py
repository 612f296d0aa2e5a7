"""compliance.nag_patterns: each pattern matches the findings of its own bucket/database only."""

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from ml_data_platform.compliance.nag_patterns import (
    BUCKET_GRANT_WILDCARD_ACTIONS,
    action_patterns,
    arn_pattern,
    bucket_objects_pattern,
    glue_tables_pattern,
)
from ml_data_platform.storage import DataLake
from tests.conftest import make_app


@pytest.fixture(scope="module")
def lake():
    return DataLake(cdk.Stack(make_app(), "Storage"), "DataLake")


def _logical_id(bucket):
    return cdk.Stack.of(bucket).get_logical_id(bucket.node.default_child)


def test_an_owned_bucket_is_matched_in_every_rendering_of_its_arn(lake):
    raw = _logical_id(lake.zone("raw").bucket)
    pattern = re.compile(bucket_objects_pattern(lake.zone("raw").bucket, "exports/"))
    for finding in (
        f"Resource::<{raw}.Arn>/exports/*",  # same stack
        f"Resource::Storage:ExportsOutputFnGetAtt{raw}Arn12345678/exports/*",  # Fn::ImportValue
        'Resource::{"Fn::GetStackOutput":{"StackName":"Storage","Region":{"Ref":"AWS::Region"},'
        f'"OutputName":"PublishOutputFnGetAtt{raw}ArnABCDEF12"}}}}/exports/*',
    ):
        assert pattern.fullmatch(finding), finding


def test_an_owned_bucket_pattern_rejects_other_buckets_and_prefixes(lake):
    raw = _logical_id(lake.zone("raw").bucket)
    curated = _logical_id(lake.zone("curated").bucket)
    pattern = re.compile(bucket_objects_pattern(lake.zone("raw").bucket, "exports/"))
    for finding in (
        f"Resource::<{curated}.Arn>/exports/*",
        f"Resource::<{raw}.Arn>/*",
        f"Resource::<{raw}.Arn>/exports/more/*",
        f"Resource::<{raw}.Arn>/other/exports/*",
        "Resource::*",
    ):
        assert not pattern.fullmatch(finding), finding


def test_an_imported_bucket_is_matched_by_its_arn():
    stack = cdk.Stack(make_app(), "Imported")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "team-landing")
    pattern = re.compile(bucket_objects_pattern(bucket))
    assert pattern.fullmatch("Resource::arn:<AWS::Partition>:s3:::team-landing/*")
    assert not pattern.fullmatch("Resource::arn:<AWS::Partition>:s3:::team-landing-2/*")
    assert not pattern.fullmatch("Resource::arn:<AWS::Partition>:s3:::other/*")


def test_glue_and_service_arn_patterns_take_pseudo_or_literal_environments():
    tables = re.compile(glue_tables_pattern("mldp_raw"))
    assert tables.fullmatch(
        "Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/mldp_raw/*"
    )
    assert tables.fullmatch("Resource::arn:aws:glue:eu-west-1:111111111111:table/mldp_raw/*")
    assert not tables.fullmatch("Resource::arn:aws:glue:eu-west-1:111111111111:table/mldp_raw2/*")
    assert not tables.fullmatch("Resource::arn:aws:glue:eu-west-1:111111111111:table/*")
    # every region aws-cdk-lib knows, e.g. the European Sovereign Cloud's eusc-de-east-1
    assert tables.fullmatch(
        "Resource::arn:aws-eusc:glue:eusc-de-east-1:111111111111:table/mldp_raw/*"
    )
    logs = re.compile(arn_pattern("logs", r"log-group:/aws-glue/crawlers\*"))
    assert logs.fullmatch(
        "Resource::arn:aws-us-gov:logs:us-gov-west-1:111111111111:log-group:/aws-glue/crawlers*"
    )
    assert not logs.fullmatch("Resource::arn:aws:logs:us-east-1:*:log-group:/aws-glue/crawlers*")


def test_action_patterns_match_exactly_the_named_actions():
    patterns = [re.compile(p) for p in action_patterns(BUCKET_GRANT_WILDCARD_ACTIONS)]
    for action in BUCKET_GRANT_WILDCARD_ACTIONS:
        assert any(p.fullmatch(f"Action::{action}") for p in patterns), action
    for finding in ("Action::s3:*", "Action::s3:GetObjectX", "Action::kms:*", "Action::*"):
        assert not any(p.fullmatch(finding) for p in patterns), finding
