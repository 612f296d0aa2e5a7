"""FlinkApplication under every enforced cdk-nag pack (and our checkpointing rule): zero
unacknowledged findings, and exactly the expected acknowledgements."""

import aws_cdk as cdk
import pytest

from ml_data_platform import AlarmTopic, DataLakeKey, IngestionStream
from ml_data_platform.analytics import FlinkApplication, FlinkCode
from tests.conftest import TEST_ENV, acknowledged_rules, make_app, synth_with_nag

START_RULES = {
    "HIPAA.Security-LambdaConcurrency",
    "HIPAA.Security-LambdaDLQ",
    "HIPAA.Security-LambdaInsideVPC",
    "NIST.800.53.R5-LambdaConcurrency",
    "NIST.800.53.R5-LambdaDLQ",
    "NIST.800.53.R5-LambdaInsideVPC",
    "PCI.DSS.321-LambdaInsideVPC",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    code = tmp_path_factory.mktemp("job")
    (code / "main.py").write_text("print('job')\n")
    app = make_app()
    stack = cdk.Stack(app, "Analytics", env=TEST_ENV)
    key = DataLakeKey(stack, "Key").key
    topic = AlarmTopic(stack, "Alarms", encryption_key=key).topic
    source = IngestionStream(stack, "Events", encryption_key=key, alarm_topic=topic)
    sink = IngestionStream(stack, "Out", encryption_key=key, alarm_topic=topic)
    FlinkApplication(
        stack,
        "App",
        code=FlinkCode.from_asset(code),
        source=source,
        sinks={"features": sink},
        encryption_key=key,
        alarm_topic=topic,
        start_on_deploy=True,
    )
    return synth_with_nag(app)


def test_flink_application_passes_all_packs(report):
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])
    assert {p["pluginName"] for p in report["pluginReports"]} >= {
        "AwsSolutions",
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
    }


def test_flink_application_acknowledgements_are_exactly_these(report):
    rules = acknowledged_rules(report)
    app_rules = {(rule, at) for rule, at in rules if at.startswith("Analytics/App")}
    assert app_rules == {
        (
            "AwsSolutions-IAM5[Resource::arn:aws:logs:us-east-1:111111111111:log-group:*]",
            "Analytics/App/Policy",
        ),
        ("AwsSolutions-IAM5[Resource::*]", "Analytics/App/Policy"),
    }
    provider = "Analytics/AWS679f53fac002430cb0da5b7982bd2287"
    assert {rule for rule, at in rules if at == provider} == START_RULES
    assert all(
        at.startswith(("Analytics/App", provider, "Analytics/Events", "Analytics/Out"))
        for _, at in rules
    )
