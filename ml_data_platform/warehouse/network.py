"""Where Firehose connects from when it loads into Amazon Redshift, and on which port.

Firehose reaches a Redshift cluster or Serverless workgroup over its public endpoint: the
warehouse must be publicly accessible, and its security group must allow the one Firehose CIDR
block (a /27) of the region. There is no private (VPC) delivery to Redshift.

Source (the table below is copied from it; re-check it when AWS adds a region):
https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-rs-vpc
("VPC access to an Amazon Redshift provisioned cluster or Amazon Redshift Serverless workgroup").
"""

from __future__ import annotations

import aws_cdk as cdk

REDSHIFT_PORT = 5439
"""Default Redshift port. The Firehose JDBC URL uses it as a literal: ``GetAtt Endpoint.Port``
inside ``Fn::Join`` trips cfn-lint E1022."""

FIREHOSE_REDSHIFT_CIDR_BY_REGION: dict[str, str] = {
    "us-east-2": "13.58.135.96/27",  # US East (Ohio)
    "us-east-1": "52.70.63.192/27",  # US East (N. Virginia)
    "us-west-1": "13.57.135.192/27",  # US West (N. California)
    "us-west-2": "52.89.255.224/27",  # US West (Oregon)
    "us-gov-east-1": "18.253.138.96/27",  # AWS GovCloud (US-East)
    "us-gov-west-1": "52.61.204.160/27",  # AWS GovCloud (US-West)
    "ca-central-1": "35.183.92.128/27",  # Canada (Central)
    "ca-west-1": "40.176.98.192/27",  # Canada West (Calgary)
    "ap-east-1": "18.162.221.32/27",  # Asia Pacific (Hong Kong)
    "ap-south-1": "13.232.67.32/27",  # Asia Pacific (Mumbai)
    "ap-south-2": "18.60.192.128/27",  # Asia Pacific (Hyderabad)
    "ap-northeast-2": "13.209.1.64/27",  # Asia Pacific (Seoul)
    "ap-southeast-1": "13.228.64.192/27",  # Asia Pacific (Singapore)
    "ap-southeast-2": "13.210.67.224/27",  # Asia Pacific (Sydney)
    "ap-southeast-3": "108.136.221.64/27",  # Asia Pacific (Jakarta)
    "ap-northeast-1": "13.113.196.224/27",  # Asia Pacific (Tokyo)
    "ap-northeast-3": "13.208.177.192/27",  # Asia Pacific (Osaka)
    "ap-southeast-7": "43.208.112.96/27",  # Asia Pacific (Thailand)
    "ap-east-2": "43.212.53.160/27",  # Asia Pacific (Taipei)
    "cn-north-1": "52.81.151.32/27",  # China (Beijing)
    "cn-northwest-1": "161.189.23.64/27",  # China (Ningxia)
    "eu-central-2": "16.62.183.32/27",  # Europe (Zurich)
    "eu-central-1": "35.158.127.160/27",  # Europe (Frankfurt)
    "eu-west-1": "52.19.239.192/27",  # Europe (Ireland)
    "eu-west-2": "18.130.1.96/27",  # Europe (London)
    "eu-west-3": "35.180.1.96/27",  # Europe (Paris)
    "eu-north-1": "13.53.63.224/27",  # Europe (Stockholm)
    "eu-south-2": "18.100.71.96/27",  # Europe (Spain)
    "me-south-1": "15.185.91.0/27",  # Middle East (Bahrain)
    "mx-central-1": "78.12.207.32/27",  # Mexico (Central)
    "sa-east-1": "18.228.1.128/27",  # South America (São Paulo)
    "eu-south-1": "15.161.135.128/27",  # Europe (Milan)
    "af-south-1": "13.244.121.224/27",  # Africa (Cape Town)
    "me-central-1": "3.28.159.32/27",  # Middle East (UAE)
    "il-central-1": "51.16.102.0/27",  # Israel (Tel Aviv)
    "ap-southeast-4": "16.50.161.128/27",  # Asia Pacific (Melbourne)
    "ap-southeast-5": "43.216.58.0/27",  # Asia Pacific (Malaysia)
}


def firehose_cidr_for_region(region: str) -> str:
    """The CIDR block Firehose uses to reach Redshift in ``region``.

    Raises ``ValueError`` for an unresolved (token) region (give the stack a concrete ``env``)
    and for a region not in :data:`FIREHOSE_REDSHIFT_CIDR_BY_REGION`.
    """
    if not isinstance(region, str) or cdk.Token.is_unresolved(region):
        raise ValueError(
            "the Firehose CIDR block for Redshift depends on the region, but the stack's region "
            "is not resolved at synth time: give the stack a concrete env "
            "(cdk.Environment(account=..., region=...)) or pass firehose_cidr explicitly"
        )
    try:
        return FIREHOSE_REDSHIFT_CIDR_BY_REGION[region]
    except KeyError:
        raise ValueError(
            f"no Firehose CIDR block known for region {region!r}; look it up on "
            "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-rs-vpc "
            "and pass firehose_cidr explicitly (or add it to FIREHOSE_REDSHIFT_CIDR_BY_REGION)"
        ) from None
