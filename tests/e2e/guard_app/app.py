"""A small app for the deploy-guard test: ``-c variant=base`` and ``-c variant=changed``.

``changed`` against ``base``: the ``Lake`` bucket gets a name (replacement), the retained
``Events`` stream is removed (orphaned), the ``Scratch`` stream (DESTROY) is removed (deleted),
the ``Archive`` key is kept, the ``Worker`` role gets a name (replaced, but holds no data) and
``Notes`` is a new bucket (created).
"""

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

app = cdk.App()
changed = app.node.try_get_context("variant") == "changed"
stack = cdk.Stack(
    app, "Data", synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
)
s3.Bucket(stack, "Lake", bucket_name="guard-test-lake-renamed" if changed else None)
kms.Key(stack, "Archive", enable_key_rotation=True)
iam.Role(
    stack,
    "Worker",
    assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
    role_name="guard-test-worker" if changed else None,
)
if changed:
    s3.Bucket(stack, "Notes")
else:
    kinesis.Stream(stack, "Events", removal_policy=cdk.RemovalPolicy.RETAIN)
    kinesis.Stream(stack, "Scratch", removal_policy=cdk.RemovalPolicy.DESTROY)
app.synth()
