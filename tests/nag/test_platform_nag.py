"""The platform from cdk.json (Dev and Prod stages) under every enforced cdk-nag pack: exactly
the expected acknowledgements, stage by stage, and nothing acknowledged outside a layer.

Built from the per-layer sets pinned in the layer nag tests, with the platform's paths
(``<Stage>/Platform/<Layer>/...``) and cross-stack references (stack names
``mldp-<env>-<layer>``); Dev is environment-agnostic (``<AWS::Region>`` in ARNs), Prod is in
us-east-1.
"""

import json

import pytest

from tests.conftest import acknowledged_rules
from tests.nag.test_storage_nag import expected_acknowledgements as storage_acknowledgements
from tests.nag.test_warehouse_nag import EXPECTED as WAREHOUSE_STACK_ACKNOWLEDGEMENTS

PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
ENVIRONMENTS = {"Dev": ("dev", None), "Prod": ("prod", "us-east-1")}
# Outputs the storage stack publishes for the weak cross-stack references.
BUCKET_OUTPUTS = {
    "raw": "PublishOutputFnGetAttDataLakeRawZoneBucketC98FCD5DArnFBC68C1B",
    "curated": "PublishOutputFnGetAttDataLakeCuratedZoneBucket4033E605Arn41FAC662",
    "analytics": "PublishOutputFnGetAttDataLakeAnalyticsZoneBucket19A5549CArn143AAA76",
}
GRANT_ACTIONS = (
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
)


class Renderer:
    """How cdk-nag renders the ARNs and references of one environment."""

    def __init__(self, env, region):
        self.env = env
        self.region = region

    def arn(self, service, resource):
        partition, region = (
            ("aws", self.region) if self.region else ("<AWS::Partition>", "<AWS::Region>")
        )
        return f"arn:{partition}:{service}:{region}:<AWS::AccountId>:{resource}"

    def bucket(self, zone):
        region = json.dumps(self.region) if self.region else '{"Ref":"AWS::Region"}'
        return (
            f'{{"Fn::GetStackOutput":{{"StackName":"mldp-{self.env}-storage",'
            f'"Region":{region},"OutputName":"{BUCKET_OUTPUTS[zone]}"}}}}'
        )


def iam5(at, *resources, actions=()):
    return {
        *((f"AwsSolutions-IAM5[Action::{a}]", at) for a in actions),
        *((f"AwsSolutions-IAM5[Resource::{r}]", at) for r in resources),
    }


def catalog_acknowledgements(root, r):
    crawlers = set()
    for zone in ("curated", "analytics"):
        crawlers |= iam5(
            f"{root}/{zone.capitalize()}Crawler/Policy",
            r.arn("glue", f"table/mldp_{r.env}_{zone}/*"),
            r.arn("logs", "log-group:/aws-glue/crawlers*"),
            r.arn("logs", "log-group:/aws-glue/crawlers*:*"),
            f"{r.bucket(zone)}/*",
        )
    consumer = f"{root}/MlConsumer/SageMakerExecutionRole/DefaultPolicy"
    results = f"{root}/Athena/Results/Bucket"
    results_logs = f"{root}/Athena/Results/AccessLogs/Bucket"
    return {
        *crawlers,
        *iam5(
            consumer,
            "<AthenaResultsBucket4D67EE49.Arn>/athena-results/*",
            *(r.arn("glue", f"table/mldp_{r.env}_{zone}/*") for zone in ("curated", "analytics")),
            *(f"{r.bucket(zone)}/*" for zone in ("curated", "analytics")),
            actions=GRANT_ACTIONS,
        ),
        *((f"{pack}-IAMNoInlinePolicy", consumer) for pack in PACKS),
        *((f"{pack}-S3BucketReplicationEnabled", results) for pack in PACKS),
        *((f"{pack}-S3BucketReplicationEnabled", results_logs) for pack in PACKS),
        *((f"{pack}-S3DefaultEncryptionKMS", results_logs) for pack in PACKS),
    }


def ingestion_acknowledgements(root, r):
    return {
        ("AwsSolutions-KDS3", f"{root}/ClickstreamStream/Stream"),
        ("AwsSolutions-KDF1", f"{root}/ClickstreamDelivery/DeliveryStream"),
        *iam5(
            f"{root}/ClickstreamDelivery/Policy",
            f"{r.bucket('raw')}/clickstream/year=*",
            f"{r.bucket('raw')}/errors/clickstream/*",
        ),
    }


def shared_acknowledgements(root, r):
    """dev's small-events group: the stream and delivery's usual acknowledgements; the role's
    object ARNs are exactly the members' prefixes and the group's error prefix."""
    return {
        ("AwsSolutions-KDS3", f"{root}/SmallEventsStream/Stream"),
        ("AwsSolutions-KDF1", f"{root}/SmallEventsDelivery/DeliveryStream"),
        *iam5(
            f"{root}/SmallEventsDelivery/Policy",
            f"{r.bucket('raw')}/search-queries/year=*",
            f"{r.bucket('raw')}/item-ratings/year=*",
            f"{r.bucket('raw')}/cart-adds/year=*",
            f"{r.bucket('raw')}/errors/_shared/small-events/*",
        ),
    }


def services_acknowledgements(root, *, trigger):
    """Both environments prepare restores of the raw zone, dev also has a pipeline trigger
    (curated features/): the acknowledgements pinned in tests/unit/restore and tests/unit/events."""
    restores = f"{root}/Storage/RawRestores"
    reports = "<RawRestoresReportsBucket0BBB34F6.Arn>"
    found = {
        *iam5(
            f"{restores}/BatchOperationsPolicy",
            "<DataLakeRawZoneBucketC98FCD5D.Arn>/*",
            f"{reports}/manifests/*",
            f"{reports}/inventory/*",
            f"{reports}/reports/*",
        ),
        *((f"{pack}-S3BucketReplicationEnabled", f"{restores}/Reports/Bucket") for pack in PACKS),
    }
    if trigger:
        machine = f"{root}/Services/CuratedFeaturesTrigger/StateMachine"
        found |= {
            ("AwsSolutions-IAM5[Resource::*]", f"{machine}/Role/DefaultPolicy"),
            ("AwsSolutions-SQS3", f"{root}/Services/CuratedFeaturesTrigger/DeadLetterQueue"),
            *(
                (f"{pack}-IAMNoInlinePolicy", f"{machine}/{role}/DefaultPolicy")
                for pack in PACKS
                for role in ("Role", "EventsRole")
            ),
        }
    return found


def analytics_acknowledgements(root, r):
    """The streaming-features job (FlinkApplication) and its features stream and delivery."""
    return {
        ("AwsSolutions-KDS3", f"{root}/ClickstreamFeaturesStream/Stream"),
        ("AwsSolutions-KDF1", f"{root}/ClickstreamFeaturesDelivery/DeliveryStream"),
        *iam5(
            f"{root}/ClickstreamFeaturesDelivery/Policy",
            f"{r.bucket('curated')}/clickstream-features/year=*",
            f"{r.bucket('curated')}/errors/clickstream-features/*",
        ),
        *iam5(f"{root}/ClickstreamFeatures/Policy", r.arn("logs", "log-group:*"), "*"),
    }


def warehouse_acknowledgements(stage, r):
    """The warehouse stack's set (tests/nag/test_warehouse_nag.py) at the platform's paths."""
    return {
        (
            rule.replace("Storage:ExportsOutput", f"mldp-{r.env}-storage:ExportsOutput"),
            f"{stage}/Platform/{at}",
        )
        for rule, at in WAREHOUSE_STACK_ACKNOWLEDGEMENTS
    }


def expected(stage):
    r = Renderer(*ENVIRONMENTS[stage])
    root = f"{stage}/Platform"
    found = {
        *storage_acknowledgements(f"{root}/Storage"),
        *catalog_acknowledgements(f"{root}/Catalog", r),
        *ingestion_acknowledgements(f"{root}/Ingestion14", r),  # clickstream's slot
    }
    if stage == "Dev":  # the dataset's analytics.enabled
        found |= analytics_acknowledgements(f"{root}/Analytics", r)
    if stage == "Prod":  # warehouse.enabled
        found |= warehouse_acknowledgements(stage, r)
    found |= services_acknowledgements(root, trigger=stage == "Dev")
    if stage == "Dev":  # two datasets ingested shared
        found |= shared_acknowledgements(f"{root}/IngestionShared", r)
    return found


def test_every_pack_reports_success(platform_synth):
    _, report = platform_synth
    assert {p["pluginName"] for p in report["pluginReports"]} == {"AwsSolutions", *PACKS}
    assert {p["conclusion"] for p in report["pluginReports"]} == {"success"}


@pytest.mark.parametrize("stage", sorted(ENVIRONMENTS))
def test_stage_acknowledgements_are_exactly_the_expected_ones(platform_synth, stage):
    _, report = platform_synth
    acknowledged = {
        (rule, at)
        for rule, at in acknowledged_rules(report)
        if at == stage or at.startswith(stage + "/")
    }
    assert acknowledged == expected(stage)


def test_nothing_is_acknowledged_outside_the_stages(platform_synth):
    stages, report = platform_synth
    assert sorted(stages) == sorted(ENVIRONMENTS)
    outside = {
        (rule, at)
        for rule, at in acknowledged_rules(report)
        if not any(at.startswith(f"{stage}/Platform/") for stage in ENVIRONMENTS)
    }
    assert outside == set()
