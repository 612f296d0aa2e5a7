"""Warehouse (Redshift Serverless) and WarehouseEndpoint: defaults, options, bad input."""

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_redshiftserverless as redshiftserverless
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template
from constructs import Construct

from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.warehouse import REDSHIFT_PORT, Warehouse, WarehouseEndpoint
from tests.conftest import TEST_ENV, make_app, only_resource, resources_of_type


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(make_app(), "Wh", env=TEST_ENV)
    warehouse = Warehouse(stack, "Warehouse")
    return stack, warehouse, Template.from_stack(stack)


def test_namespace_encrypted_with_audit_logs_and_a_managed_rotating_admin_secret(built):
    stack, warehouse, template = built
    _, namespace = only_resource(template, "AWS::RedshiftServerless::Namespace")
    props = namespace["Properties"]
    key_id = next(iter(resources_of_type(template, "AWS::KMS::Key")))
    assert props["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert props["LogExports"] == ["userlog", "connectionlog", "useractivitylog"]
    # Redshift manages (and rotates) the admin password in a secret under the lake key.
    assert props["ManageAdminPassword"] is True
    assert props["AdminPasswordSecretKmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert "AdminUserPassword" not in props
    assert props["AdminUsername"] == "admin"
    assert props["DbName"] == "dev"
    assert props["NamespaceName"] == "wh-warehouse"
    template.resource_count_is("AWS::SecretsManager::Secret", 0)
    # The managed secret's ARN comes from the deploy-time lookup (GetNamespace).
    lookup_id = stack.get_logical_id(warehouse.lookup.resource.node.default_child)
    assert stack.resolve(warehouse.secret.secret_arn) == {
        "Fn::GetAtt": [lookup_id, "AdminPasswordSecretArn"]
    }


def test_lookup_reads_the_namespace_and_the_s3_prefix_list_after_the_namespace(built):
    stack, warehouse, template = built
    (lookup,) = resources_of_type(template, "Custom::WarehouseLookup").values()
    namespace_id = stack.get_logical_id(warehouse.namespace)
    assert lookup["Properties"]["NamespaceName"] == "wh-warehouse"
    assert lookup["Properties"]["S3PrefixListName"] == {
        "Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]
    }
    assert namespace_id in lookup["DependsOn"]
    _, function = only_resource(template, "AWS::Lambda::Function")
    assert function["Properties"]["Runtime"] == "python3.14"
    assert "def lookup(" in function["Properties"]["Code"]["ZipFile"]
    policy = resources_of_type(template, "AWS::IAM::ManagedPolicy")[
        next(i for i in resources_of_type(template, "AWS::IAM::ManagedPolicy") if "Lookup" in i)
    ]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["ReadNamespace"]["Action"] == "redshift-serverless:GetNamespace"
    assert statements["ReadNamespace"]["Resource"] == {
        "Fn::GetAtt": [namespace_id, "Namespace.NamespaceArn"]
    }
    assert statements["ReadPrefixLists"]["Action"] == "ec2:DescribeManagedPrefixLists"
    assert set(statements) == {"ReadNamespace", "ReadPrefixLists", "WriteLogs"}


def test_workgroup_public_enhanced_routing_port_and_capacity(built):
    stack, warehouse, template = built
    _, workgroup = only_resource(template, "AWS::RedshiftServerless::Workgroup")
    props = workgroup["Properties"]
    assert props["BaseCapacity"] == 8
    assert props["EnhancedVpcRouting"] is True
    assert props["PubliclyAccessible"] is True
    assert props["Port"] == 5439
    assert props["WorkgroupName"] == "wh-warehouse-wg"
    assert props["NamespaceName"] == "wh-warehouse"
    assert len(props["SubnetIds"]) == 3
    assert props["ConfigParameters"] == [
        {"ParameterKey": "enable_user_activity_logging", "ParameterValue": "true"}
    ]
    namespace_id = stack.get_logical_id(warehouse.namespace)
    assert namespace_id in workgroup["DependsOn"]


def test_security_group_admits_the_firehose_cidr_and_lets_out_only_s3_https(built):
    stack, warehouse, template = built
    _, group = only_resource(template, "AWS::EC2::SecurityGroup")
    assert group["Properties"]["SecurityGroupIngress"] == [
        {
            "CidrIp": "52.70.63.192/27",
            "Description": "Amazon Data Firehose (us-east-1) to Redshift",
            "FromPort": 5439,
            "IpProtocol": "tcp",
            "ToPort": 5439,
        }
    ]
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)
    # No 0.0.0.0/0: the one egress is HTTPS to the region's S3 prefix list (COPY through the
    # gateway endpoint with enhanced VPC routing).
    assert "SecurityGroupEgress" not in group["Properties"] or all(
        rule.get("CidrIp") != "0.0.0.0/0" for rule in group["Properties"]["SecurityGroupEgress"]
    )
    lookup_id = stack.get_logical_id(warehouse.lookup.resource.node.default_child)
    (egress,) = resources_of_type(template, "AWS::EC2::SecurityGroupEgress").values()
    assert egress["Properties"]["DestinationPrefixListId"] == {
        "Fn::GetAtt": [lookup_id, "S3PrefixListId"]
    }
    assert (egress["Properties"]["IpProtocol"], egress["Properties"]["FromPort"]) == ("tcp", 443)
    assert egress["Properties"]["ToPort"] == 443


def test_vpc_has_three_public_subnets_s3_endpoint_flow_logs_and_no_nat(built):
    _, _, template = built
    template.resource_count_is("AWS::EC2::Subnet", 3)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    _, endpoint = only_resource(template, "AWS::EC2::VPCEndpoint")
    assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    assert "s3" in str(endpoint["Properties"]["ServiceName"])
    _, flow_log = only_resource(template, "AWS::EC2::FlowLog")
    assert flow_log["Properties"]["LogDestinationType"] == "cloud-watch-logs"
    log_groups = resources_of_type(template, "AWS::Logs::LogGroup")
    assert {i for i in log_groups if "FlowLogs" in i} == {"WarehouseVpcFlowLogs3ED9F8D6"}
    # The flow logs and the lookup function's logs, both under the key.
    assert len(log_groups) == 2
    assert all("KmsKeyId" in group["Properties"] for group in log_groups.values())
    template.resource_count_is("AWS::IAM::Policy", 0)  # managed policy only


def test_stateful_resources_are_retained(built):
    _, _, template = built
    for resource_type in (
        "AWS::RedshiftServerless::Namespace",
        "AWS::RedshiftServerless::Workgroup",
        "AWS::KMS::Key",
    ):
        _, resource = only_resource(template, resource_type)
        assert resource["DeletionPolicy"] == "Retain", resource_type
        assert resource["UpdateReplacePolicy"] == "Retain", resource_type
    # The admin secret is Redshift's (managed with the namespace), not a resource of the stack.
    for logical_id, group in resources_of_type(template, "AWS::Logs::LogGroup").items():
        assert group["DeletionPolicy"] == "Retain", logical_id


def test_attributes_and_endpoint(built):
    stack, warehouse, _ = built
    assert stack.resolve(warehouse.jdbc_url) == {
        "Fn::Join": [
            "",
            [
                "jdbc:redshift://",
                {
                    "Fn::GetAtt": [
                        stack.get_logical_id(warehouse.workgroup),
                        "Workgroup.Endpoint.Address",
                    ]
                },
                ":5439/dev",
            ],
        ]
    }
    endpoint = warehouse.endpoint
    assert endpoint.port == REDSHIFT_PORT
    assert endpoint.workgroup_name == "wh-warehouse-wg"
    assert endpoint.secret is warehouse.secret
    assert endpoint.secret_key is warehouse.key
    assert endpoint.supports_data_api
    assert warehouse.security_group is not None and warehouse.vpc is not None


def test_existing_vpc_key_capacity_names_and_cidr_override():
    stack = cdk.Stack(
        make_app(), "Byo", env=cdk.Environment(account="111111111111", region="eu-west-1")
    )
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Pub", subnet_type=ec2.SubnetType.PUBLIC)
        ],
        availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    )
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:eu-west-1:111111111111:key/k1")
    Warehouse(
        stack,
        "Wh",
        vpc=vpc,
        encryption_key=key,
        base_capacity=1024,
        namespace_name="analytics",
        workgroup_name="analytics-wg",
        database="ml",
        admin_username="loader",
        firehose_cidr="52.19.239.192/27",
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 0)
    template.resource_count_is("AWS::EC2::FlowLog", 0)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 1)
    _, workgroup = only_resource(template, "AWS::RedshiftServerless::Workgroup")
    assert workgroup["Properties"]["BaseCapacity"] == 1024
    assert workgroup["Properties"]["WorkgroupName"] == "analytics-wg"
    _, namespace = only_resource(template, "AWS::RedshiftServerless::Namespace")
    assert namespace["Properties"]["KmsKeyId"] == "arn:aws:kms:eu-west-1:111111111111:key/k1"
    assert namespace["Properties"]["DbName"] == "ml"
    assert namespace["Properties"]["AdminUsername"] == "loader"


def test_existing_vpc_without_endpoint_and_destroy_opt_in():
    app = make_app(**{ALLOW_DESTROY_CONTEXT: True})
    stack = cdk.Stack(app, "Dev", env=TEST_ENV)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Pub", subnet_type=ec2.SubnetType.PUBLIC)
        ],
        availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"],
    )
    Warehouse(
        stack,
        "Wh",
        vpc=vpc,
        add_s3_gateway_endpoint=False,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 0)
    _, namespace = only_resource(template, "AWS::RedshiftServerless::Namespace")
    assert namespace["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("env", "kwargs", "error", "message"),
    [
        (None, {}, ValueError, "region is not resolved at synth time"),
        (
            cdk.Environment(account="111111111111", region="xx-east-9"),
            {},
            ValueError,
            r"no Firehose CIDR block known for region 'xx-east-9'",
        ),
        (TEST_ENV, {"base_capacity": 10}, ValueError, r"base_capacity must be 4, .* got 10"),
        (TEST_ENV, {"vpc": "vpc-123"}, TypeError, r"vpc must be an IVpc \(aws_ec2\), got str"),
        (TEST_ENV, {"encryption_key": "alias/x"}, TypeError, r"encryption_key must be an IKey"),
        (TEST_ENV, {"firehose_cidr": "52.70.63.192"}, ValueError, r"is not an IPv4 CIDR block"),
        (
            TEST_ENV,
            {"firehose_cidr": "not-a-cidr"},
            ValueError,
            r"firehose_cidr 'not-a-cidr' is not",
        ),
        (
            TEST_ENV,
            {"namespace_name": "Bad_Name"},
            ValueError,
            r"namespace_name 'Bad_Name' must be",
        ),
        (TEST_ENV, {"database": "Dev"}, ValueError, r"database 'Dev' is not a valid Redshift name"),
        (
            TEST_ENV,
            {"removal_policy": cdk.RemovalPolicy.DESTROY},
            ValueError,
            "removal_policy=DESTROY",
        ),
    ],
)
def test_bad_input(env, kwargs, error, message):
    stack = cdk.Stack(make_app(), "Bad", env=env)
    with pytest.raises(error, match=message):
        Warehouse(stack, "Wh", **kwargs)


def test_default_names_include_the_stack_name_so_projects_do_not_collide():
    app = make_app()
    names = {}
    for project in ("mldp", "fraud"):
        stage = cdk.Stage(app, f"{project.capitalize()}Prod", env=TEST_ENV)
        platform = Construct(stage, "Platform")
        stack = cdk.Stack(platform, "Warehouse", stack_name=f"{project}-prod-warehouse")
        warehouse = Warehouse(stack, "Warehouse")
        names[project] = (warehouse.namespace.namespace_name, warehouse.workgroup.workgroup_name)
    assert names == {
        "mldp": ("mldp-prod-warehouse-warehouse", "mldp-prod-warehouse-warehouse-wg"),
        "fraud": ("fraud-prod-warehouse-warehouse", "fraud-prod-warehouse-warehouse-wg"),
    }


def test_a_nested_stacks_warehouse_is_named_after_its_top_level_stack():
    parent = cdk.Stack(make_app(), "Parent", stack_name="mldp-prod-parent", env=TEST_ENV)
    warehouse = Warehouse(cdk.NestedStack(parent, "Layer"), "Warehouse")
    assert warehouse.namespace.namespace_name == "mldp-prod-parent-layer-warehouse"
    assert warehouse.workgroup.workgroup_name == "mldp-prod-parent-layer-warehouse-wg"


def test_long_default_names_are_cut_to_64_characters_with_a_hash():
    app = make_app()
    long_name = "a-very-long-project-name-for-the-platform-prod-warehouse"
    warehouses = [
        Warehouse(cdk.Stack(app, f"S{i}", stack_name=long_name, env=TEST_ENV), f"Warehouse{i}")
        for i in (1, 2)
    ]
    namespaces = [w.namespace.namespace_name for w in warehouses]
    workgroups = [w.workgroup.workgroup_name for w in warehouses]
    assert [len(n) for n in namespaces + workgroups] == [64] * 4
    assert namespaces[0] != namespaces[1] and workgroups[0] != workgroups[1]
    kept = long_name[:55]  # 64 - "-" - 8 hex digits of the hash
    assert all(re.fullmatch(rf"{kept}-[0-9a-f]{{8}}", n) for n in namespaces)
    assert all(re.fullmatch(rf"{kept[:52]}-[0-9a-f]{{8}}-wg", w) for w in workgroups)


def test_a_two_az_region_needs_a_vpc_of_your_own():
    west = cdk.Environment(account="111111111111", region="us-west-1")
    stack = cdk.Stack(make_app(), "West", env=west)
    with pytest.raises(ValueError) as error:
        Warehouse(stack, "Wh")
    assert str(error.value) == (
        "region 'us-west-1' has two Availability Zones, but the VPC created when vpc is not "
        "given has one subnet in each of 3: pass vpc (and vpc_subnets) with 3 subnets across "
        "the two AZs, as Redshift Serverless requires there"
    )
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        availability_zones=["us-west-1a", "us-west-1b", "us-west-1a"],
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Pub", subnet_type=ec2.SubnetType.PUBLIC)
        ],
    )
    warehouse = Warehouse(stack, "Own", vpc=vpc)
    assert warehouse.vpc is vpc


def test_too_few_subnets_fail():
    stack = cdk.Stack(make_app(), "Small", env=TEST_ENV)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Pub", subnet_type=ec2.SubnetType.PUBLIC)
        ],
        availability_zones=["us-east-1a", "us-east-1b"],
    )
    with pytest.raises(ValueError, match=r"vpc_subnets selects 2 subnets; .* at least 3"):
        Warehouse(stack, "Wh", vpc=vpc)


def test_bring_your_own_endpoint_validation():
    stack = cdk.Stack(make_app(), "Endpoint", env=TEST_ENV)
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "S", "redshift/loader")
    endpoint = WarehouseEndpoint(
        host="wg.111111111111.us-east-1.redshift-serverless.amazonaws.com",
        database="dev",
        secret=secret,
    )
    assert endpoint.jdbc_url == (
        "jdbc:redshift://wg.111111111111.us-east-1.redshift-serverless.amazonaws.com:5439/dev"
    )
    assert not endpoint.supports_data_api
    assert endpoint.secret_key_statement(sid="DecryptSecret", stack=stack) is None
    keyed = WarehouseEndpoint(
        host="h", database="dev", secret=secret, secret_key=kms.Key(stack, "SecretKey")
    )
    statement = stack.resolve(
        keyed.secret_key_statement(sid="DecryptSecret", stack=stack).to_statement_json()
    )
    assert (statement["Sid"], statement["Action"]) == ("DecryptSecret", "kms:Decrypt")
    assert list(statement["Condition"]["StringEquals"]) == ["kms:ViaService"]
    with pytest.raises(ValueError, match=r"WarehouseEndpoint.secret is required"):
        WarehouseEndpoint(host="h", database="dev", secret=None)
    with pytest.raises(TypeError, match=r"WarehouseEndpoint.secret must be an ISecret"):
        WarehouseEndpoint(host="h", database="dev", secret="arn:aws:secretsmanager:...")
    with pytest.raises(ValueError, match=r"WarehouseEndpoint.port must be ≤ 65535"):
        WarehouseEndpoint(host="h", database="dev", secret=secret, port=70000)
    with pytest.raises(ValueError, match=r"WarehouseEndpoint.host must be a host name"):
        WarehouseEndpoint(host="", database="dev", secret=secret)
    with pytest.raises(ValueError, match="give workgroup_name or cluster_identifier, not both"):
        WarehouseEndpoint(
            host="h", database="dev", secret=secret, workgroup_name="w", cluster_identifier="c"
        )


def test_redshift_managed_admin_secret_is_still_not_referenceable():
    """The rotation acknowledgement rests on this: when CDK (from the CloudFormation schema)
    exposes the managed secret's ARN, switch to ManageAdminPassword and drop the
    acknowledgement."""
    attributes = [a for a in dir(redshiftserverless.CfnNamespace) if a.startswith("attr_")]
    assert "attr_namespace_admin_username" in attributes  # the attributes are listed at all
    assert not [a for a in attributes if "secret" in a]
