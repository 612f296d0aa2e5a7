"""Alarm settings shared by the streaming and warehouse constructs (named once)."""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns

from ml_data_platform.monitoring.alarm_topic import AlarmTopic

ALARM_PERIOD = cdk.Duration.minutes(5)
"""Period of every streaming and warehouse-delivery alarm metric."""
SUSTAINED_ALARM_PERIODS = 3
"""Alarms on a sustained condition (throttling, failing puts) need this many breaching
periods in a row: retries absorb bursts."""
SUSTAINED_ALARM_WINDOW = cdk.Duration.minutes(ALARM_PERIOD.to_minutes() * SUSTAINED_ALARM_PERIODS)
"""How long a sustained condition lasts before its alarm fires (15 minutes)."""


def notify(alarms: Iterable[cloudwatch.Alarm], topic: sns.ITopic | None) -> None:
    """Send the alarm and OK transitions of ``alarms`` to ``topic``; None: to the default
    ``AlarmTopic.of`` their stack (created on first need), so no alarm is without an action."""
    alarms = list(alarms)
    if not alarms:
        return
    if topic is None:
        topic = AlarmTopic.of(alarms[0]).topic
    action = cloudwatch_actions.SnsAction(topic)
    for alarm in alarms:
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
