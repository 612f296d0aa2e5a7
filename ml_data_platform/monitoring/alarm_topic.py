"""``AlarmTopic``: an encrypted SNS topic for platform alarms, with an optional e-mail."""

from __future__ import annotations

import re

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from ml_data_platform.core.inputs import Kind, require_kind

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AlarmTopic(Construct):
    """An SNS topic encrypted with the platform key that only accepts TLS publishers.

    CloudWatch may publish to it because ``DataLakeKey`` allows ``cloudwatch.amazonaws.com``
    to use the key for this account.

    Args:
        encryption_key: Key for the topic (the platform key).
        email: Subscribe this address (confirmation e-mail on deploy). Default: none.

    Attributes:
        topic: The ``aws_sns.Topic``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        encryption_key = require_kind(encryption_key, Kind.KEY, "encryption_key")
        if email is not None and not _EMAIL.match(email):
            raise ValueError(f"email {email!r} is not an e-mail address")
        self.topic = sns.Topic(
            self,
            "Topic",
            master_key=encryption_key,
            enforce_ssl=True,
            display_name="ml-data-platform alarms",
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
