"""ObjectCreatedPipelineTrigger and RestoreCompletedNotification: the rule, the state machine's
one API call, retries, DLQ, alarms, logging, and bad input; both under every nag pack."""

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from ml_data_platform.events import ObjectCreatedPipelineTrigger, RestoreCompletedNotification
from ml_data_platform.monitoring import AlarmTopic
from ml_data_platform.storage import DataLakeBucket
from tests.conftest import TEST_ENV, make_app, only_resource, resources_of_type, synth_with_nag


def build(stack):
    curated = DataLakeBucket(stack, "Curated")
    topic = AlarmTopic(stack, "Alarms", encryption_key=curated.key).topic
    trigger = ObjectCreatedPipelineTrigger(
        stack,
        "Trigger",
        bucket=curated.bucket,
        prefix="features",
        pipeline_name="Retrain-Model",
        encryption_key=curated.key,
        alarm_topic=topic,
    )
    notice = RestoreCompletedNotification(stack, "Restores", buckets=[curated.bucket], topic=topic)
    return curated, trigger, notice


@pytest.fixture(scope="module")
def built():
    app = make_app()
    stack = cdk.Stack(app, "Hooks", env=TEST_ENV)
    curated, trigger, notice = build(stack)
    report = synth_with_nag(app)  # before Template.from_stack: the first synth is kept
    return stack, curated, trigger, notice, Template.from_stack(stack), report


def resolve(built, value):
    return built[0].resolve(value)


def test_rule_matches_object_created_under_the_prefix_of_the_bucket(built):
    stack, curated, trigger, _, template, _ = built
    rule = template.to_json()["Resources"][stack.get_logical_id(trigger.rule.node.default_child)]
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": "features/"}]}
    assert pattern["detail"]["bucket"]["name"] == [resolve(built, curated.bucket.bucket_name)]


def test_rule_target_retries_then_dead_letters_into_the_encrypted_queue(built):
    stack, curated, trigger, _, template, _ = built
    rule = template.to_json()["Resources"][stack.get_logical_id(trigger.rule.node.default_child)]
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == resolve(built, trigger.state_machine.state_machine_arn)
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 86400}
    assert target["DeadLetterConfig"]["Arn"] == resolve(built, trigger.dead_letter_queue.queue_arn)
    queue = template.to_json()["Resources"][
        stack.get_logical_id(trigger.dead_letter_queue.node.default_child)
    ]
    assert queue["Properties"]["KmsMasterKeyId"] == resolve(built, curated.key.key_arn)
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["DeletionPolicy"] == "Retain"


def test_state_machine_calls_start_pipeline_execution_with_bucket_and_key(built):
    _stack, _, _trigger, _, template, _ = built
    _, machine = only_resource(template, "AWS::StepFunctions::StateMachine")
    definition = json.loads(
        "".join(
            part if isinstance(part, str) else "X"
            for part in machine["Properties"]["DefinitionString"]["Fn::Join"][1]
        )
    )
    (state,) = definition["States"].values()
    assert state["Resource"].endswith(":states:::aws-sdk:sagemaker:startPipelineExecution")
    assert state["Parameters"] == {
        "PipelineName": "Retrain-Model",
        "ClientRequestToken.$": "$.id",
        "PipelineParameters": [
            {"Name": "InputBucket", "Value.$": "$.detail.bucket.name"},
            {"Name": "InputKey", "Value.$": "$.detail.object.key"},
        ],
    }
    (retry,) = state["Retry"]
    assert retry["ErrorEquals"] == ["States.ALL"] and retry["MaxAttempts"] == 3
    props = machine["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"


def test_state_machine_may_start_only_the_named_pipeline(built):
    _stack, _, _trigger, _, template, _ = built
    statements = [
        s
        for policy in resources_of_type(template, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sagemaker:StartPipelineExecution" in json.dumps(s["Action"])
    ]
    (statement,) = statements
    assert statement["Action"] == "sagemaker:StartPipelineExecution"
    resource = json.dumps(statement["Resource"])
    assert "pipeline/retrain-model" in resource and "*" not in resource


def test_log_group_is_encrypted_and_retained(built):
    stack, curated, trigger, _, template, _ = built
    log_group = template.to_json()["Resources"][
        stack.get_logical_id(trigger.log_group.node.default_child)
    ]
    assert log_group["Properties"]["KmsKeyId"] == resolve(built, curated.key.key_arn)
    assert log_group["DeletionPolicy"] == "Retain"


def test_alarms_on_failed_executions_and_dead_letters_notify_the_topic(built):
    stack, _, trigger, _, template, _ = built
    assert set(trigger.alarms) == {"ExecutionsFailed", "DeadLetters"}
    resources = template.to_json()["Resources"]
    for alarm in trigger.alarms.values():
        props = resources[stack.get_logical_id(alarm.node.default_child)]["Properties"]
        assert props["Threshold"] == 1
        assert props["AlarmActions"] and props["OKActions"]
    failed = resources[stack.get_logical_id(trigger.alarms["ExecutionsFailed"].node.default_child)]
    names = {
        m["MetricStat"]["Metric"]["MetricName"]
        for m in failed["Properties"]["Metrics"]
        if "MetricStat" in m
    }
    assert names == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}


def test_restore_completed_events_reach_the_topic_as_a_readable_message(built):
    stack, _curated, _, notice, template, _ = built
    rule = template.to_json()["Resources"][stack.get_logical_id(notice.rule.node.default_child)]
    assert rule["Properties"]["EventPattern"]["detail-type"] == ["Object Restore Completed"]
    (target,) = rule["Properties"]["Targets"]
    assert "InputTransformer" in target
    assert "restore completed" in target["InputTransformer"]["InputTemplate"]


def test_every_pack_passes_with_only_the_expected_acknowledgements(built):
    report = built[5]
    rules = {
        (s["ruleName"], s["acknowledgedAt"].split("/", 1)[1])
        for p in report["pluginReports"]
        for s in p.get("suppressedViolations", [])
        if "/Trigger/" in s["acknowledgedAt"]
    }
    assert ("AwsSolutions-SQS3", "Trigger/DeadLetterQueue") in rules
    assert ("AwsSolutions-IAM5[Resource::*]", "Trigger/StateMachine/Role/DefaultPolicy") in rules
    # nothing on the rule, the log group or the alarms
    assert {at for _, at in rules} <= {
        "Trigger/DeadLetterQueue",
        "Trigger/StateMachine/Role/DefaultPolicy",
        "Trigger/StateMachine/EventsRole/DefaultPolicy",
    }


def test_data_lake_key_lets_eventbridge_use_it_for_this_account_only(built):
    stack, curated, *_ = built
    template = built[4].to_json()["Resources"]
    key = template[stack.get_logical_id(curated.key.node.default_child)]
    (statement,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowEventBridgeToEncryptedTargets"
    ]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"prefix": ""}, "prefix must not be empty"),
        ({"prefix": "a*"}, "prefix 'a*' must be a relative key prefix"),
        (
            {"pipeline_name": "bad_name"},
            "pipeline_name 'bad_name' is not a SageMaker pipeline name",
        ),
        ({"bucket_parameter": "a b"}, "bucket_parameter 'a b'"),
        ({"key_parameter": "InputBucket"}, "both 'InputBucket'"),
        ({"task_attempts": 0}, "task_attempts must be ≥ 1"),
        ({"event_retry_attempts": 186}, "event_retry_attempts must be ≤ 185"),
    ],
)
def test_trigger_rejects_bad_input(props, message):
    stack = cdk.Stack(make_app(), "Bad")
    bucket = DataLakeBucket(stack, "B")
    base = {
        "bucket": bucket.bucket,
        "prefix": "p/",
        "pipeline_name": "p",
        "encryption_key": bucket.key,
    }
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        ObjectCreatedPipelineTrigger(stack, "T", **{**base, **props})


def test_trigger_rejects_wrong_kinds():
    stack = cdk.Stack(make_app(), "Kinds")
    bucket = DataLakeBucket(stack, "B")
    with pytest.raises(TypeError, match="bucket must be an IBucket"):
        ObjectCreatedPipelineTrigger(
            stack, "T", bucket="name", prefix="p/", pipeline_name="p", encryption_key=bucket.key
        )


def test_restore_notification_needs_a_target_and_buckets():
    stack = cdk.Stack(make_app(), "Notice")
    bucket = DataLakeBucket(stack, "B").bucket
    with pytest.raises(ValueError, match="needs a topic or targets"):
        RestoreCompletedNotification(stack, "N", buckets=[bucket])
    with pytest.raises(TypeError, match="non-empty sequence of IBucket"):
        RestoreCompletedNotification(stack, "M", buckets=bucket, targets=[])
    with pytest.raises(TypeError, match=r"targets\[0\] must be an events.IRuleTarget"):
        RestoreCompletedNotification(stack, "O", buckets=[bucket], targets=["arn"])
    queue = sqs.Queue(stack, "Q", enforce_ssl=True)
    notice = RestoreCompletedNotification(
        stack, "P", buckets=[bucket], targets=[targets.SqsQueue(queue)], prefix="raw/"
    )
    pattern = stack.resolve(notice.rule.node.default_child.event_pattern)
    assert pattern["detail"]["object"] == {"key": [{"prefix": "raw/"}]}


def test_zone_events_need_no_notifications_lambda(built):
    """DataLakeBucket turns EventBridge on with the L1 NotificationConfiguration: the L2 flag
    would add a Custom::S3BucketNotifications Lambda (and its IAM4 finding)."""
    template = built[4]
    template.resource_count_is("Custom::S3BucketNotifications", 0)
    template.resource_count_is("AWS::Lambda::Function", 0)
    # The zone bucket and its access-log bucket (Control Tower CT.S3.PR.4), both in the template.
    buckets = [
        r
        for r in resources_of_type(template, "AWS::S3::Bucket").values()
        if "NotificationConfiguration" in r["Properties"]
    ]
    assert len(buckets) == 2
    for bucket in buckets:
        assert bucket["Properties"]["NotificationConfiguration"] == {
            "EventBridgeConfiguration": {"EventBridgeEnabled": True}
        }
