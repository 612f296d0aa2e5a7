"""``ObjectCreatedPipelineTrigger``: objects created under a prefix start a SageMaker pipeline.

aws-cdk-lib has no stable EventBridge target for SageMaker pipelines, so the rule starts a
Step Functions state machine whose one task calls ``sagemaker:StartPipelineExecution``
(``CallAwsService``, stable) with the object's bucket and key as pipeline parameters.

Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html (event detail),
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StartPipelineExecution.html
(``PipelineName``, ``PipelineParameters``, ``ClientRequestToken`` 32–128 characters) and
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html (a dead-letter queue
encrypted with a customer key needs ``events.amazonaws.com`` in the key policy).
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ml_data_platform.compliance import acknowledge
from ml_data_platform.compliance.control_tower import SQS_DLQ, acknowledge_control_tower
from ml_data_platform.compliance.nag import IAM5
from ml_data_platform.compliance.rules import IAM_NO_INLINE_POLICY
from ml_data_platform.core.inputs import Kind, optional_kind, require_int, require_kind
from ml_data_platform.core.names import validate_key_prefix
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.events.patterns import object_event_pattern
from ml_data_platform.monitoring.alarms import ALARM_PERIOD, notify

# SageMaker CreatePipeline/StartPipelineExecution: PipelineName and Parameter.Name patterns.
_PIPELINE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,256}$")
OBJECT_CREATED = "Object Created"
DEFAULT_BUCKET_PARAMETER = "InputBucket"
DEFAULT_KEY_PARAMETER = "InputKey"
DEFAULT_TASK_ATTEMPTS = 4
"""Attempts of the StartPipelineExecution call (1 + 3 retries with exponential back-off)."""
MAX_TASK_ATTEMPTS = 10
DEFAULT_EVENT_RETRY_ATTEMPTS = 8
"""How often EventBridge retries starting the state machine before the event goes to the DLQ."""
MAX_EVENT_RETRY_ATTEMPTS = 185  # EventBridge RetryPolicy.MaximumRetryAttempts
DLQ_RETENTION = cdk.Duration.days(14)  # SQS maximum: the longest time to notice and replay
EXECUTION_TIMEOUT = cdk.Duration.minutes(15)
DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR

_SERVICE_LOGS_REASON = (
    "Step Functions delivers execution logs through CloudWatch Logs log delivery and traces "
    "through X-Ray: logs:CreateLogDelivery/GetLogDelivery/UpdateLogDelivery/DeleteLogDelivery/"
    "ListLogDeliveries/PutResourcePolicy/DescribeResourcePolicies/DescribeLogGroups and "
    "xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets support no "
    "resource-level permissions, so AWS documents Resource '*' for them; no data action is on '*'."
)
_INLINE_REASON = (
    "CDK writes this role's default policy for the one state machine / rule target the "
    "construct creates; the role belongs to it alone and is removed with it."
)
_DLQ_REASON = (
    "This queue is itself the dead-letter queue of the EventBridge rule target (EventBridge "
    "target DLQs are configured on the rule, which cdk-nag does not recognise); a DLQ of a "
    "DLQ would only move the same undeliverable events once more."
)


class ObjectCreatedPipelineTrigger(Construct):
    """Start a SageMaker pipeline for every object created under ``prefix`` in ``bucket``.

    An EventBridge rule on ``Object Created`` events (the bucket must send events to
    EventBridge: ``DataLakeBucket`` does by default) starts a Step Functions state machine
    whose task calls ``sagemaker:StartPipelineExecution`` with the object's bucket and key as
    the pipeline parameters ``bucket_parameter`` and ``key_parameter``. The event id is the
    call's ``ClientRequestToken``, so a retried event never starts a second execution.

    Failures are retried twice over: the task retries the API call (``task_attempts``,
    exponential back-off with jitter) and EventBridge retries starting the state machine
    (``event_retry_attempts``, up to 24 hours) and then puts the event into an SQS
    dead-letter queue encrypted with ``encryption_key``. Alarms fire on failed, timed-out or
    aborted executions and on any message in the dead-letter queue. The state machine logs
    every state transition (without execution data) to a log group encrypted with
    ``encryption_key`` and is traced with X-Ray.

    Args:
        bucket: The bucket whose new objects start the pipeline (e.g. the curated zone).
        prefix: Key prefix the objects are created under (e.g. ``features/``); not empty.
        pipeline_name: Name of the SageMaker pipeline to start (it can live outside the app).
        encryption_key: Key of the dead-letter queue and the log group. Its key policy must
            let ``events.amazonaws.com`` use it (``kms:GenerateDataKey``, ``kms:Decrypt``) and
            CloudWatch Logs encrypt with it; ``DataLakeKey`` does both.
        bucket_parameter: Pipeline parameter that receives the bucket name. Default:
            ``InputBucket``.
        key_parameter: Pipeline parameter that receives the object key. Default: ``InputKey``.
        task_attempts: Attempts of the API call, 1–10. Default: 4.
        event_retry_attempts: EventBridge retries before the dead-letter queue, 0–185.
            Default: 8.
        alarm_topic: Notified when an alarm fires or recovers. Default: the stack's
            ``AlarmTopic.of(stack)`` (created on first need).
        log_retention: Retention of the execution log group. Default: one year.
        removal_policy: Of the log group and the dead-letter queue: ``RETAIN`` (default) or
            ``DESTROY`` (needs the allow-destroy context).

    Attributes:
        rule: The EventBridge rule.
        state_machine: The Step Functions state machine.
        dead_letter_queue: The SQS dead-letter queue of the rule target.
        log_group: The execution log group.
        alarms: ``{"ExecutionsFailed" | "DeadLetters": cloudwatch.Alarm}``.
        pipeline_arn: ARN of the pipeline the state machine may start.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        prefix: str,
        pipeline_name: str,
        encryption_key: kms.IKey,
        bucket_parameter: str = DEFAULT_BUCKET_PARAMETER,
        key_parameter: str = DEFAULT_KEY_PARAMETER,
        task_attempts: int = DEFAULT_TASK_ATTEMPTS,
        event_retry_attempts: int = DEFAULT_EVENT_RETRY_ATTEMPTS,
        alarm_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        bucket = require_kind(bucket, Kind.BUCKET, "bucket")
        encryption_key = require_kind(encryption_key, Kind.KEY, "encryption_key")
        alarm_topic = optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        self.prefix = validate_key_prefix(prefix, "prefix", allow_empty=False)
        self.pipeline_name = validate_pipeline_name(pipeline_name)
        validate_parameter_names(bucket_parameter, key_parameter)
        require_int(task_attempts, "task_attempts", minimum=1, maximum=MAX_TASK_ATTEMPTS)
        require_int(
            event_retry_attempts,
            "event_retry_attempts",
            minimum=0,
            maximum=MAX_EVENT_RETRY_ATTEMPTS,
        )
        policy = resolve_removal_policy(self, removal_policy)
        stack = cdk.Stack.of(self)
        # SageMaker lowercases pipeline names in ARNs.
        self.pipeline_arn = stack.format_arn(
            service="sagemaker", resource="pipeline", resource_name=self.pipeline_name.lower()
        )

        start = tasks.CallAwsService(
            self,
            "StartPipelineExecution",
            service="sagemaker",
            action="startPipelineExecution",
            iam_action="sagemaker:StartPipelineExecution",
            iam_resources=[self.pipeline_arn],
            parameters={
                "PipelineName": self.pipeline_name,
                "ClientRequestToken": sfn.JsonPath.string_at("$.id"),
                "PipelineParameters": [
                    {
                        "Name": bucket_parameter,
                        "Value": sfn.JsonPath.string_at("$.detail.bucket.name"),
                    },
                    {"Name": key_parameter, "Value": sfn.JsonPath.string_at("$.detail.object.key")},
                ],
            },
            result_selector={"PipelineExecutionArn.$": "$.PipelineExecutionArn"},
        )
        if task_attempts > 1:
            start.add_retry(
                errors=[sfn.Errors.ALL],
                interval=cdk.Duration.seconds(5),
                max_attempts=task_attempts - 1,
                backoff_rate=2,
                jitter_strategy=sfn.JitterType.FULL,
            )
        self.log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            encryption_key=encryption_key,
            retention=log_retention,
            removal_policy=policy,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(start),
            comment=f"Start SageMaker pipeline {self.pipeline_name} for new objects",
            timeout=EXECUTION_TIMEOUT,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
        )
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=encryption_key,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
            removal_policy=policy,
        )
        acknowledge(self.dead_letter_queue, "AwsSolutions-SQS3", _DLQ_REASON)
        acknowledge_control_tower(self.dead_letter_queue, SQS_DLQ, _DLQ_REASON)
        self.rule = events.Rule(
            self,
            "Rule",
            description=f"Objects created under {self.prefix} start pipeline {self.pipeline_name}",
            event_pattern=object_event_pattern(bucket, OBJECT_CREATED, prefix=self.prefix),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=event_retry_attempts,
                    max_event_age=cdk.Duration.hours(24),
                )
            ],
        )
        self._acknowledge_roles()
        self.alarms: dict[str, cloudwatch.Alarm] = {
            "ExecutionsFailed": cloudwatch.MathExpression(
                expression="FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)",
                using_metrics={
                    "failed": self.state_machine.metric_failed(period=ALARM_PERIOD),
                    "timedOut": self.state_machine.metric_timed_out(period=ALARM_PERIOD),
                    "aborted": self.state_machine.metric_aborted(period=ALARM_PERIOD),
                },
                period=ALARM_PERIOD,
                label="Executions failed, timed out or aborted",
            ).create_alarm(
                self,
                "ExecutionsFailedAlarm",
                alarm_description=(
                    f"An execution that starts SageMaker pipeline {self.pipeline_name} failed "
                    "after its retries: see the execution log group"
                ),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            "DeadLetters": self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ).create_alarm(
                self,
                "DeadLettersAlarm",
                alarm_description=(
                    "EventBridge could not start the state machine for an object-created event "
                    "(it is in the dead-letter queue, kept 14 days): replay or delete it"
                ),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        }
        notify(self.alarms.values(), alarm_topic)

    def _acknowledge_roles(self) -> None:
        machine_policy = self.state_machine.role.node.find_child("DefaultPolicy")
        acknowledge(machine_policy, IAM_NO_INLINE_POLICY, _INLINE_REASON)
        acknowledge(machine_policy, f"{IAM5}[Resource::*]", _SERVICE_LOGS_REASON)
        events_role = _rule_target_role(self.rule)
        if events_role is not None:
            acknowledge(
                events_role.node.find_child("DefaultPolicy"), IAM_NO_INLINE_POLICY, _INLINE_REASON
            )


def _rule_target_role(rule: events.Rule) -> iam.Role | None:
    """The role CDK creates for the SfnStateMachine target (``EventsRole`` beside the machine)."""
    beside = rule.node.scope
    for child in beside.node.find_all() if beside is not None else ():
        if isinstance(child, iam.Role) and child.node.id == "EventsRole":
            return child
    return None


def validate_pipeline_name(name: str) -> str:
    """Return ``name`` if SageMaker accepts it as a pipeline name."""
    if not isinstance(name, str) or not _PIPELINE_NAME.match(name):
        raise ValueError(
            f"pipeline_name {name!r} is not a SageMaker pipeline name: 1–256 letters, digits "
            "or '-', starting and ending with a letter or digit"
        )
    return name


def validate_parameter_names(bucket_parameter: str, key_parameter: str) -> None:
    """Both are SageMaker pipeline parameter names, and they differ."""
    for prop, value in (("bucket_parameter", bucket_parameter), ("key_parameter", key_parameter)):
        if not isinstance(value, str) or not _PARAMETER_NAME.match(value):
            raise ValueError(
                f"{prop} {value!r} is not a SageMaker pipeline parameter name: 1–256 letters, "
                "digits, '-' or '_'"
            )
    if bucket_parameter == key_parameter:
        raise ValueError(
            f"bucket_parameter and key_parameter are both {bucket_parameter!r}: the pipeline "
            "needs two different parameters"
        )
