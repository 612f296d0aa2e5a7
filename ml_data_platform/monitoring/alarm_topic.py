"""``AlarmTopic``: an encrypted SNS topic for platform alarms, with an optional e-mail, and the
stack's default one that every alarm without an ``alarm_topic`` notifies."""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct

from ml_data_platform.core.inputs import Kind, optional_kind
from ml_data_platform.storage.key import DataLakeKey

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_ALARM_TOPIC_ID = "MlDataPlatformAlarmTopic"
"""Construct id of the stack's default alarm topic (``AlarmTopic.of``), directly in the stack."""


class AlarmTopic(Construct):
    """An SNS topic encrypted with a customer-managed key that only accepts TLS publishers.

    CloudWatch may publish to it because ``DataLakeKey`` allows ``cloudwatch.amazonaws.com``
    to use the key for this account (pass another key only if its policy does the same).

    Args:
        encryption_key: Key for the topic (the platform key). Default: a new ``DataLakeKey``.
        email: Subscribe this address (confirmation e-mail on deploy). Default: none.

    Attributes:
        topic: The ``aws_sns.Topic``.
        key: The key that encrypts it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey | None = None,
        email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        encryption_key = optional_kind(encryption_key, Kind.KEY, "encryption_key")
        if email is not None and not _EMAIL.match(email):
            raise ValueError(f"email {email!r} is not an e-mail address")
        self.key: kms.IKey = encryption_key or DataLakeKey(self, "Key").key
        self.topic = sns.Topic(
            self,
            "Topic",
            master_key=self.key,
            enforce_ssl=True,
            display_name="ml-data-platform alarms",
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

    @staticmethod
    def of(scope: IConstruct) -> AlarmTopic:
        """The default alarm topic of ``scope``'s stack, created on first need (one per stack,
        id ``MlDataPlatformAlarmTopic``, with its own ``DataLakeKey``).

        Every construct's alarms notify it when no ``alarm_topic`` is given, so no alarm is
        without an action. Subscribe to it (``AlarmTopic.of(stack).topic.add_subscription``)
        or pass your own ``alarm_topic`` to the constructs instead.
        """
        stack = cdk.Stack.of(scope)
        found = stack.node.try_find_child(DEFAULT_ALARM_TOPIC_ID)
        if found is None:
            return AlarmTopic(stack, DEFAULT_ALARM_TOPIC_ID)
        if not isinstance(found, AlarmTopic):
            raise TypeError(
                f"'{found.node.path}' is not an AlarmTopic: the id {DEFAULT_ALARM_TOPIC_ID!r} "
                "is reserved for the stack's default alarm topic"
            )
        return found
