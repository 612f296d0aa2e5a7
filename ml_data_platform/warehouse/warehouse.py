"""``Warehouse`` (Redshift Serverless namespace + workgroup) and ``WarehouseEndpoint`` (bring your
own cluster or workgroup).

Sources:
- Firehose → Redshift network access (public endpoint + Firehose CIDR):
  https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-rs-vpc
- Base capacity (4, 8–512 in steps of 8, 512–1024 in steps of 32 in five regions):
  https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-capacity.html
- Three subnets in three Availability Zones (in US West (N. California), which has two, three
  subnets across two AZs):
  https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-usage-considerations.html
- Enhanced VPC routing sends COPY traffic through the VPC (S3 gateway endpoint needed):
  https://docs.aws.amazon.com/redshift/latest/mgmt/enhanced-vpc-routing.html
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_redshiftserverless as redshiftserverless
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ml_data_platform.compliance import acknowledge
from ml_data_platform.core.inputs import Kind, optional_kind, require_int, require_kind
from ml_data_platform.core.kms import kms_statement
from ml_data_platform.core.names import stack_scoped_path
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.storage.key import DataLakeKey
from ml_data_platform.warehouse.ddl import validate_identifier
from ml_data_platform.warehouse.lookup import WarehouseLookup
from ml_data_platform.warehouse.network import REDSHIFT_PORT, firehose_cidr_for_region

DEFAULT_BASE_CAPACITY_RPUS = 8
MIN_BASE_CAPACITY_RPUS = 4
MAX_BASE_CAPACITY_RPUS = 512
EXTENDED_MAX_BASE_CAPACITY_RPUS = 1024
EXTENDED_CAPACITY_REGIONS = frozenset(
    {"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1"}
)
AUDIT_LOG_EXPORTS = ("userlog", "connectionlog", "useractivitylog")
MIN_SUBNETS = 3
# Regions where accounts get fewer than three Availability Zones, so the VPC created here (one
# subnet in each of three AZs, Fn::Select [2, Fn::GetAZs]) fails at deploy time. Source: the
# Redshift Serverless usage considerations (above) name US West (N. California) as the region
# with two; re-check when AWS adds a region.
TWO_AZ_REGIONS = frozenset({"us-west-1"})
DEFAULT_ADMIN_USERNAME = "admin"
DEFAULT_DATABASE = "dev"
MIN_RESOURCE_NAME = 3
MAX_RESOURCE_NAME = 64
_RESOURCE_NAME = re.compile(rf"^[a-z0-9-]{{{MIN_RESOURCE_NAME},{MAX_RESOURCE_NAME}}}$")
_NAME_HASH_LENGTH = 8

PUBLIC_ROUTE_REASON = (
    "Amazon Data Firehose loads into Redshift only over the workgroup's public endpoint "
    "(firehose/latest/dev/controlling-access.html#using-iam-rs-vpc), so its subnets need a "
    "route to the internet gateway. Inbound traffic is limited by the workgroup's security "
    "group to Firehose's /27 for the region on port 5439; S3 traffic uses the gateway endpoint."
)
PUBLIC_ROUTE_RULES = (
    "HIPAA.Security-VPCNoUnrestrictedRouteToIGW",
    "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
    "PCI.DSS.321-VPCNoUnrestrictedRouteToIGW",
)
DEFAULT_SECURITY_GROUP_REASON = (
    "Nothing in this VPC uses its default security group (the workgroup has its own). Closing "
    "the default group needs CDK's Lambda-backed custom resource, which the platform avoids; "
    "the group is unattached, so its rules admit no traffic to any resource."
)
DEFAULT_SECURITY_GROUP_RULES = (
    "HIPAA.Security-VPCDefaultSecurityGroupClosed",
    "NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
    "PCI.DSS.321-VPCDefaultSecurityGroupClosed",
)


@dataclass(frozen=True)
class WarehouseEndpoint:
    """A Redshift cluster or Serverless workgroup that Firehose loads into.

    Use ``Warehouse.endpoint`` for a warehouse created here, or build one for an existing
    warehouse (bring your own; its network must already admit Firehose's CIDR block).

    Args:
        host: Endpoint host name.
        database: Database name.
        secret: Secrets Manager secret with ``{"username": ..., "password": ...}`` (required:
            Firehose reads the credentials from it).
        port: Port. Default: 5439.
        secret_key: The KMS key that encrypts ``secret`` (for decrypt grants). Default: none
            (the secret uses the AWS managed key).
        workgroup_name: Serverless workgroup name (for table creation through the Data API).
        workgroup_arn: Serverless workgroup ARN (scopes the Data API permission).
        cluster_identifier: Provisioned cluster identifier (instead of a workgroup).
    """

    host: str
    database: str
    secret: secretsmanager.ISecret
    port: int = REDSHIFT_PORT
    secret_key: kms.IKey | None = None
    workgroup_name: str | None = None
    workgroup_arn: str | None = None
    cluster_identifier: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host:
            raise ValueError(f"WarehouseEndpoint.host must be a host name, got {self.host!r}")
        if self.secret is None:
            raise ValueError(
                "WarehouseEndpoint.secret is required: Firehose reads the Redshift user name and "
                'password from a Secrets Manager secret {"username": ..., "password": ...}'
            )
        object.__setattr__(
            self, "secret", require_kind(self.secret, Kind.SECRET, "WarehouseEndpoint.secret")
        )
        object.__setattr__(
            self,
            "secret_key",
            optional_kind(self.secret_key, Kind.KEY, "WarehouseEndpoint.secret_key"),
        )
        require_int(self.port, "WarehouseEndpoint.port", minimum=1150, maximum=65535)
        if not cdk.Token.is_unresolved(self.database):
            validate_identifier(self.database, "WarehouseEndpoint.database")
        if self.workgroup_name is not None and self.cluster_identifier is not None:
            raise ValueError(
                "WarehouseEndpoint: give workgroup_name or cluster_identifier, not both"
            )

    @property
    def jdbc_url(self) -> str:
        """``jdbc:redshift://host:port/database`` (the port is a literal, see cfn-lint E1022)."""
        return f"jdbc:redshift://{self.host}:{self.port}/{self.database}"

    @property
    def supports_data_api(self) -> bool:
        """Whether table creation through the Redshift Data API is possible."""
        return bool(self.workgroup_name and self.workgroup_arn) or bool(self.cluster_identifier)

    def secret_key_statement(self, *, sid: str, stack: cdk.Stack) -> iam.PolicyStatement | None:
        """``kms:Decrypt`` on ``secret_key`` through Secrets Manager (to read ``secret``); None
        when the secret uses the AWS managed key."""
        if self.secret_key is None:
            return None
        return kms_statement(
            sid=sid,
            actions=["kms:Decrypt"],
            key=self.secret_key,
            service="secretsmanager",
            stack=stack,
        )


def validate_base_capacity(rpus: int, region: str | None) -> int:
    """Return ``rpus`` if it is a valid Serverless base capacity in ``region``."""
    require_int(rpus, "base_capacity")
    rule = (
        f"base_capacity must be {MIN_BASE_CAPACITY_RPUS}, a multiple of 8 from 8 to "
        f"{MAX_BASE_CAPACITY_RPUS}, or a multiple of 32 up to {EXTENDED_MAX_BASE_CAPACITY_RPUS} "
        f"(only in {sorted(EXTENDED_CAPACITY_REGIONS)}) RPUs, got {rpus}"
    )
    if rpus == MIN_BASE_CAPACITY_RPUS or (8 <= rpus <= MAX_BASE_CAPACITY_RPUS and rpus % 8 == 0):
        return rpus
    if MAX_BASE_CAPACITY_RPUS < rpus <= EXTENDED_MAX_BASE_CAPACITY_RPUS and rpus % 32 == 0:
        if (
            region is not None
            and not cdk.Token.is_unresolved(region)
            and region not in EXTENDED_CAPACITY_REGIONS
        ):
            raise ValueError(f"{rule}; region {region!r} allows at most 512")
        return rpus
    raise ValueError(rule)


class Warehouse(Construct):
    """Amazon Redshift Serverless (namespace + workgroup) that Firehose can load into.

    - Encryption: the namespace and the admin secret use the platform key.
    - Credentials: Redshift manages and rotates the admin password (``manage_admin_password``)
      in a Secrets Manager secret ``{"username", "password"}`` (the shape Firehose reads) under
      the platform key; ``WarehouseLookup`` reads its ARN at deploy time (``GetNamespace``;
      CloudFormation has no ``GetAtt`` for it).
    - Audit logging: ``userlog``, ``connectionlog`` and ``useractivitylog`` exported to
      CloudWatch Logs (``enable_user_activity_logging`` is on).
    - Network: enhanced VPC routing on; publicly accessible (Firehose only loads over the public
      endpoint), with a security group that admits only Firehose's CIDR block for the stack's
      region on port 5439 and lets out only HTTPS to the region's S3 prefix list (COPY reads
      S3 through the VPC's gateway endpoint).

    Args:
        encryption_key: KMS key for the namespace and the secret. Default: a new ``DataLakeKey``.
        vpc: VPC with at least three public subnets in three AZs. Default: a new VPC with three
            public subnets, no NAT, flow logs, and an S3 gateway endpoint.
        vpc_subnets: Subnets of ``vpc`` for the workgroup. Default: its public subnets.
        add_s3_gateway_endpoint: Add an S3 gateway endpoint to a given ``vpc`` (set False if it
            has one). Default: True (always on for the VPC created here).
        base_capacity: Base RPUs (4, 8–512 step 8, 512–1024 step 32 in five regions). Default: 8.
        database: Database name. Default: ``dev``.
        admin_username: Admin user name. Default: ``admin``.
        namespace_name / workgroup_name: Physical names (3–64 of ``a-z0-9-``). Default: the
            stack name and the construct's path in the stack (``mldp-prod-warehouse-warehouse``
            and ``...-wg``), unique per account and region as stack names are.
        firehose_cidr: Firehose's CIDR block. Default: looked up for the stack's (concrete) region.
        removal_policy: ``RETAIN`` (default) or ``DESTROY`` (needs the allow-destroy context).

    Attributes:
        namespace, workgroup: The L1 resources. secret: The managed admin secret (imported by
        ARN). lookup: The ``WarehouseLookup``. key: The KMS key.
        security_group, vpc: Network. jdbc_url: ``jdbc:redshift://<endpoint>:5439/<database>``.
        endpoint: A ``WarehouseEndpoint`` for ``WarehouseDeliveryStream``.
        database, admin_username, base_capacity, firehose_cidr: The validated settings.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        add_s3_gateway_endpoint: bool = True,
        base_capacity: int = DEFAULT_BASE_CAPACITY_RPUS,
        database: str = DEFAULT_DATABASE,
        admin_username: str = DEFAULT_ADMIN_USERNAME,
        namespace_name: str | None = None,
        workgroup_name: str | None = None,
        firehose_cidr: str | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        encryption_key = optional_kind(encryption_key, Kind.KEY, "encryption_key")
        vpc = optional_kind(vpc, Kind.VPC, "vpc")
        region = cdk.Stack.of(self).region
        self.base_capacity = validate_base_capacity(base_capacity, region)
        self.database = validate_identifier(database, "database")
        self.admin_username = validate_identifier(admin_username, "admin_username")
        self.firehose_cidr = (
            _validate_cidr(firehose_cidr) if firehose_cidr else firehose_cidr_for_region(region)
        )
        namespace_name = _resource_name(namespace_name, self, "namespace_name")
        workgroup_name = _resource_name(workgroup_name, self, "workgroup_name")
        policy = resolve_removal_policy(self, removal_policy)

        if vpc is None and region in TWO_AZ_REGIONS:
            raise ValueError(
                f"region {region!r} has two Availability Zones, but the VPC created when vpc is "
                f"not given has one subnet in each of {MIN_SUBNETS}: pass vpc (and vpc_subnets) "
                f"with {MIN_SUBNETS} subnets across the two AZs, as Redshift Serverless requires "
                "there"
            )
        self.key: kms.IKey = encryption_key or DataLakeKey(self, "Key", removal_policy=policy).key
        if vpc is None:
            self.vpc: ec2.IVpc = _WarehouseVpc(self, "Vpc", key=self.key).vpc
        else:
            self.vpc = vpc
            if add_s3_gateway_endpoint:
                self.vpc.add_gateway_endpoint(
                    "WarehouseS3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3
                )
        subnets = self.vpc.select_subnets(
            **_selection_kwargs(
                vpc_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
            )
        )
        if (
            not cdk.Token.is_unresolved(subnets.subnet_ids)
            and len(subnets.subnet_ids) < MIN_SUBNETS
        ):
            raise ValueError(
                f"vpc_subnets selects {len(subnets.subnet_ids)} subnets; Redshift Serverless needs "
                f"at least {MIN_SUBNETS} (in three Availability Zones), public so that Firehose "
                "can reach the workgroup"
            )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.vpc,
            description="Redshift Serverless workgroup: Firehose in, S3 (COPY) out",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            ec2.Peer.ipv4(self.firehose_cidr),
            ec2.Port.tcp(REDSHIFT_PORT),
            f"Amazon Data Firehose ({region}) to Redshift",
        )

        self.namespace = redshiftserverless.CfnNamespace(
            self,
            "Namespace",
            namespace_name=namespace_name,
            db_name=self.database,
            admin_username=self.admin_username,
            manage_admin_password=True,
            admin_password_secret_kms_key_id=self.key.key_arn,
            kms_key_id=self.key.key_arn,
            log_exports=list(AUDIT_LOG_EXPORTS),
        )
        self.namespace.apply_removal_policy(policy)
        # CloudFormation returns neither the managed secret's ARN nor the S3 prefix list id.
        self.lookup = WarehouseLookup(
            self, "Lookup", namespace=self.namespace, key=self.key, removal_policy=policy
        )
        self.secret: secretsmanager.ISecret = secretsmanager.Secret.from_secret_complete_arn(
            self, "AdminSecret", self.lookup.admin_secret_arn
        )
        # Enhanced VPC routing sends COPY's S3 reads through the VPC (gateway endpoint): the
        # one connection the workgroup opens. Firehose's inbound connections need no egress rule.
        self.security_group.add_egress_rule(
            ec2.Peer.prefix_list(self.lookup.s3_prefix_list_id),
            ec2.Port.tcp(443),
            "S3 through the gateway endpoint (COPY with enhanced VPC routing)",
        )
        self.workgroup = redshiftserverless.CfnWorkgroup(
            self,
            "Workgroup",
            workgroup_name=workgroup_name,
            namespace_name=namespace_name,
            base_capacity=self.base_capacity,
            enhanced_vpc_routing=True,
            publicly_accessible=True,
            port=REDSHIFT_PORT,
            subnet_ids=subnets.subnet_ids,
            security_group_ids=[self.security_group.security_group_id],
            config_parameters=[
                redshiftserverless.CfnWorkgroup.ConfigParameterProperty(
                    parameter_key="enable_user_activity_logging", parameter_value="true"
                ),
            ],
        )
        self.workgroup.add_resource_dependency(self.namespace)
        self.workgroup.apply_removal_policy(policy)
        # The workgroup needs its subnets' routes (internet gateway, S3 endpoint) in place.
        self.workgroup.node.add_dependency(subnets.internet_connectivity_established)

        self.jdbc_url = (
            f"jdbc:redshift://{self.workgroup.attr_workgroup_endpoint_address}:"
            f"{REDSHIFT_PORT}/{self.database}"
        )

    @property
    def endpoint(self) -> WarehouseEndpoint:
        """This warehouse as a ``WarehouseEndpoint``."""
        return WarehouseEndpoint(
            host=self.workgroup.attr_workgroup_endpoint_address,
            port=REDSHIFT_PORT,
            database=self.database,
            secret=self.secret,
            secret_key=self.key,
            workgroup_name=self.workgroup.workgroup_name,
            workgroup_arn=self.workgroup.attr_workgroup_workgroup_arn,
        )


def deploy_time_availability_zones(count: int = MIN_SUBNETS) -> list[str]:
    """The region's first ``count`` Availability Zones, resolved by CloudFormation at deploy
    time (``Fn::Select [i, Fn::GetAZs '']``): no context lookup, so no AWS credentials at
    synth time, whatever the stack's account."""
    return [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(count)]


class _WarehouseVpc(Construct):
    """Three public subnets (no NAT), flow logs to an encrypted log group, S3 gateway endpoint."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.90.0.0/22"),
            availability_zones=deploy_time_availability_zones(),
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Public",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=26,
                    map_public_ip_on_launch=False,
                )
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)
            },
            restrict_default_security_group=False,
        )
        acknowledge(self.vpc, DEFAULT_SECURITY_GROUP_RULES, DEFAULT_SECURITY_GROUP_REASON)
        for subnet in self.vpc.public_subnets:
            acknowledge(subnet, PUBLIC_ROUTE_RULES, PUBLIC_ROUTE_REASON)
        log_group = logs.LogGroup(
            self,
            "FlowLogs",
            encryption_key=key,
            retention=logs.RetentionDays.ONE_YEAR,
        )
        # A role with a managed policy, passed immutable so that the flow log adds no inline
        # policy (IAMNoInlinePolicy).
        role = iam.Role(
            self,
            "FlowLogsRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
        )
        iam.ManagedPolicy(
            self,
            "FlowLogsPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[log_group.log_group_arn],
                )
            ],
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                log_group,
                iam.Role.from_role_arn(self, "FlowLogsRoleRef", role.role_arn, mutable=False),
            ),
        )


def _selection_kwargs(selection: ec2.SubnetSelection) -> dict[str, Any]:
    return {
        key: value
        for key, value in {
            "subnet_type": selection.subnet_type,
            "subnet_group_name": selection.subnet_group_name,
            "subnets": selection.subnets,
            "availability_zones": selection.availability_zones,
            "one_per_az": selection.one_per_az,
            "subnet_filters": selection.subnet_filters,
        }.items()
        if value is not None
    }


def _validate_cidr(cidr: str) -> str:
    try:
        ipaddress.IPv4Network(cidr)
        valid = "/" in cidr
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise ValueError(
            f"firehose_cidr {cidr!r} is not an IPv4 CIDR block such as '52.70.63.192/27'"
        )
    return cidr


def _resource_name(name: str | None, scope: Construct, prop: str) -> str:
    """``name``, or by default ``<stack name>-<path in the stack>`` (``-wg`` added for the
    workgroup): the stack name (``<project>-<env>-<layer>`` in the platform) keeps two projects
    or environments in one account and region apart, which the construct path alone does not.
    A default longer than 64 characters is cut and ends in a hash of the full name."""
    if name is None:
        suffix = "-wg" if prop == "workgroup_name" else ""
        name = _physical_name(stack_scoped_path(scope), MAX_RESOURCE_NAME - len(suffix))
        name += suffix
    if not isinstance(name, str) or not _RESOURCE_NAME.match(name):
        raise ValueError(
            f"{prop} {name!r} must be {MIN_RESOURCE_NAME}–{MAX_RESOURCE_NAME} lowercase letters, "
            "digits or '-'"
        )
    return name


def _physical_name(text: str, limit: int) -> str:
    """``text`` as lowercase ``a-z0-9-`` of at most ``limit`` characters."""
    name = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")
    if len(name) > limit:
        digest = hashlib.sha256(text.encode()).hexdigest()[:_NAME_HASH_LENGTH]
        name = f"{name[: limit - _NAME_HASH_LENGTH - 1].rstrip('-')}-{digest}"
    return name if len(name) >= MIN_RESOURCE_NAME else f"{name}-wh"
