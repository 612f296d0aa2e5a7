"""monitoring: alarms without an ``alarm_topic`` notify the stack's default ``AlarmTopic``
(one per stack, created on first need, encrypted with its own key that CloudWatch may use)."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from ml_data_platform import AlarmTopic, IngestionStream
from tests.conftest import TEST_ENV, make_app, resources_of_type


def alarm_targets(template: Template) -> set[str]:
    return {
        action["Ref"]
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        for action in alarm["Properties"]["AlarmActions"] + alarm["Properties"]["OKActions"]
    }


def test_constructs_of_one_stack_share_one_encrypted_default_topic():
    app = make_app()
    stack = cdk.Stack(app, "One", env=TEST_ENV)
    IngestionStream(stack, "A")
    IngestionStream(stack, "B")
    other = cdk.Stack(app, "Other", env=TEST_ENV)
    IngestionStream(other, "C")
    template = Template.from_stack(stack)
    (topic_id, topic) = next(iter(resources_of_type(template, "AWS::SNS::Topic").items()))
    assert len(resources_of_type(template, "AWS::SNS::Topic")) == 1
    assert alarm_targets(template) == {topic_id}
    assert topic_id.startswith("MlDataPlatformAlarmTopic")
    key_ref = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    assert key_ref.startswith("MlDataPlatformAlarmTopicKey")
    key = resources_of_type(template, "AWS::KMS::Key")[key_ref]["Properties"]
    sids = {s.get("Sid") for s in key["KeyPolicy"]["Statement"]}
    assert "AllowCloudWatchAlarmsToEncryptedTopics" in sids
    assert len(resources_of_type(Template.from_stack(other), "AWS::SNS::Topic")) == 1
    assert AlarmTopic.of(stack) is stack.node.find_child("MlDataPlatformAlarmTopic")


def test_a_given_topic_creates_no_default_topic():
    stack = cdk.Stack(make_app(), "Given", env=TEST_ENV)
    topic = sns.Topic(stack, "Mine")
    IngestionStream(stack, "A", alarm_topic=topic)
    template = Template.from_stack(stack)
    assert set(resources_of_type(template, "AWS::SNS::Topic")) == {
        stack.get_logical_id(topic.node.default_child)
    }
    assert stack.node.try_find_child("MlDataPlatformAlarmTopic") is None


def test_the_default_id_is_reserved():
    stack = cdk.Stack(make_app(), "Taken", env=TEST_ENV)
    sns.Topic(stack, "MlDataPlatformAlarmTopic")
    with pytest.raises(TypeError, match=r"'Taken/MlDataPlatformAlarmTopic' is not an AlarmTopic"):
        IngestionStream(stack, "A")
