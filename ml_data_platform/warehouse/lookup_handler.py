"""Deploy-time lookup for ``Warehouse``: what CloudFormation does not return.

Shipped inline as the code of the warehouse's lookup function (standard library and boto3 only,
both in the Lambda Python runtime), and imported by the tests, which run ``lookup`` against
botocore ``Stubber`` clients.

- ``AdminPasswordSecretArn``: the Redshift-managed admin secret of the namespace
  (``GetNamespace`` returns ``adminPasswordSecretArn``; CloudFormation has no ``GetAtt`` for it).
  https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_Namespace.html
- ``S3PrefixListId``: the AWS-managed prefix list of S3 in the region (``com.amazonaws.<region>.s3``),
  the only egress the workgroup needs with enhanced VPC routing (COPY reads S3 through the gateway
  endpoint). https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html
"""

import json
import urllib.request


def lookup(properties, redshift_serverless, ec2):
    """The lookup's attributes for the custom resource's ``properties``."""
    namespace = redshift_serverless.get_namespace(namespaceName=properties["NamespaceName"])
    secret_arn = namespace["namespace"].get("adminPasswordSecretArn")
    if not secret_arn:
        raise ValueError(
            f"namespace {properties['NamespaceName']} has no Redshift-managed admin secret "
            "(ManageAdminPassword is off)"
        )
    prefix_list_name = properties["S3PrefixListName"]
    prefix_lists = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [prefix_list_name]}]
    )["PrefixLists"]
    if len(prefix_lists) != 1:
        raise ValueError(f"expected one prefix list named {prefix_list_name}, got {prefix_lists}")
    return {
        "AdminPasswordSecretArn": secret_arn,
        "S3PrefixListId": prefix_lists[0]["PrefixListId"],
    }


def handler(event, context):  # pragma: no cover - runs in Lambda; lookup() is tested
    """CloudFormation custom resource entry point (Create/Update look up, Delete does nothing)."""
    import boto3

    physical_id = event.get("PhysicalResourceId") or event["LogicalResourceId"]
    status, data, reason = "SUCCESS", {}, ""
    try:
        if event["RequestType"] != "Delete":
            data = lookup(
                event["ResourceProperties"],
                boto3.client("redshift-serverless"),
                boto3.client("ec2"),
            )
    except Exception as error:
        status, reason = "FAILED", f"{type(error).__name__}: {error}"[:1000]
    send_response(event, physical_id, status, data, reason)


def response_body(event, physical_id, status, data, reason):
    """The JSON document CloudFormation expects at the response URL."""
    return json.dumps(
        {
            "Status": status,
            "Reason": reason or "see the function's log group",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()


def send_response(event, physical_id, status, data, reason):  # pragma: no cover - network
    body = response_body(event, physical_id, status, data, reason)
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
