"""``LakeFormationAccess``: optional Lake Formation governance over the lake's databases.

- Registering a location: https://docs.aws.amazon.com/lake-formation/latest/dg/register-data-lake.html
- Permissions: https://docs.aws.amazon.com/lake-formation/latest/dg/lake-formation-permissions.html
- Athena users need ``lakeformation:GetDataAccess``:
  https://docs.aws.amazon.com/athena/latest/ug/lf-athena-user-permissions.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lakeformation as lakeformation
from constructs import Construct

from ml_data_platform.catalog.data_catalog import DataCatalog, camel
from ml_data_platform.compliance import acknowledge
from ml_data_platform.compliance.nag import IAM5
from ml_data_platform.compliance.nag_patterns import bucket_objects_pattern
from ml_data_platform.compliance.wildcards import acknowledge_policy_wildcards
from ml_data_platform.core.inputs import Kind, optional_kind, reject_string, require_kind
from ml_data_platform.core.names import validate_glue_name

GET_DATA_ACCESS = "lakeformation:GetDataAccess"
"""Temporary credentials for registered data; Resource must be ``*``: no resource types in
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslakeformation.html"""
DATABASE_PERMISSIONS = frozenset({"ALL", "ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"})
TABLE_PERMISSIONS = frozenset({"ALL", "ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT", "SELECT"})


class LakeFormationAccess(Construct):
    """Register zone buckets with Lake Formation and grant database/table permissions.

    Use it when IAM policies are not enough: column-, row- or cell-level access
    (data filters), tag-based access control, or sharing tables with other accounts. Without
    it (the default) access is IAM-only: ``AthenaWorkgroup.grant_query`` and bucket policies
    decide. Enabling it changes how access works: once a location is registered and the
    ``IAMAllowedPrincipals`` group is revoked from a database (an account setting this construct
    does not change), IAM permissions alone no longer give access to its tables; every reader
    (Athena users, crawlers, Firehose format conversion) then needs Lake Formation grants too,
    and Lake Formation hands out S3 credentials through the registration role.
    The CloudFormation role that deploys this must be a Lake Formation data lake
    administrator (set once per account, outside this stack).

    Args:
        catalog: The ``DataCatalog``.
        zones: Zones whose buckets are registered. Default: every zone of the catalog.
        registration_role: Role Lake Formation assumes to access the buckets. Default: a new
            role with read/write on the registered buckets and their key.
        hybrid_access: Let IAM and Lake Formation permissions both apply to the registered
            locations (hybrid access mode). Default: False.

    ``grant`` also puts ``lakeformation:GetDataAccess`` (which only allows ``Resource: *``)
    in a managed policy of its own on the principal, once per principal.

    Attributes:
        catalog: The ``DataCatalog``.
        resources: ``{zone: CfnResource}``. ``role``: the registration role.
        permissions: The ``CfnPrincipalPermissions`` created by ``grant``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalog: DataCatalog,
        zones: Sequence[str] | None = None,
        registration_role: iam.IRole | None = None,
        hybrid_access: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        if not isinstance(catalog, DataCatalog):
            raise TypeError(f"catalog must be a DataCatalog, got {type(catalog).__name__}")
        registration_role = optional_kind(registration_role, Kind.ROLE, "registration_role")
        self.catalog = catalog
        reject_string(zones, "zones", "zone names")
        zone_names = list(zones) if zones is not None else catalog.zones
        if not zone_names:
            raise ValueError("zones must name at least one zone (None: every zone of the catalog)")
        buckets = {zone: catalog.bucket(zone) for zone in zone_names}
        if registration_role is None:
            role = iam.Role(
                self,
                "RegistrationRole",
                assumed_by=iam.ServicePrincipal("lakeformation.amazonaws.com"),
                description="Lake Formation access to the registered lake zones",
            )
            key_arns = sorted(
                {b.encryption_key.key_arn for b in buckets.values() if b.encryption_key}
            )
            statements = [
                iam.PolicyStatement(
                    sid="ListRegisteredBuckets",
                    actions=["s3:ListBucket", "s3:GetBucketLocation"],
                    resources=[b.bucket_arn for b in buckets.values()],
                ),
                iam.PolicyStatement(
                    sid="ReadWriteRegisteredObjects",
                    actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    resources=[b.arn_for_objects("*") for b in buckets.values()],
                ),
            ]
            if key_arns:
                statements.append(
                    iam.PolicyStatement(
                        sid="UseLakeKey",
                        actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                        resources=key_arns,
                    )
                )
            policy = iam.ManagedPolicy(
                self, "RegistrationPolicy", roles=[role], statements=statements
            )
            acknowledge_policy_wildcards(
                policy,
                "Lake Formation vends credentials for any object of the registered zone "
                "buckets (that is what registering a location means); the wildcard is limited "
                "to those buckets' objects.",
                patterns=[bucket_objects_pattern(b) for b in buckets.values()],
            )
            registration_role = role
        self.role = registration_role
        self.resources: dict[str, lakeformation.CfnResource] = {
            zone: lakeformation.CfnResource(
                self,
                f"{camel(zone)}Location",
                resource_arn=bucket.bucket_arn,
                use_service_linked_role=False,
                role_arn=registration_role.role_arn,
                hybrid_access_enabled=hybrid_access,
            )
            for zone, bucket in buckets.items()
        }
        self.permissions: list[lakeformation.CfnPrincipalPermissions] = []

    def grant(
        self,
        principal: iam.IRole,
        *,
        zone: str,
        database_permissions: Sequence[str] = ("DESCRIBE",),
        table_permissions: Sequence[str] = ("SELECT", "DESCRIBE"),
        tables: Sequence[str] | None = None,
    ) -> list[lakeformation.CfnPrincipalPermissions]:
        """Grant ``principal`` permissions on the database of ``zone`` and on its tables
        (every table, or only ``tables``), and ``lakeformation:GetDataAccess`` in its IAM
        policy (Athena and Glue need it to get credentials for registered data). No grant
        option is given."""
        principal = require_kind(principal, Kind.ROLE, "principal")
        _check_permissions(database_permissions, DATABASE_PERMISSIONS, "database_permissions")
        _check_permissions(table_permissions, TABLE_PERMISSIONS, "table_permissions")
        if not database_permissions and not table_permissions:
            raise ValueError(
                "database_permissions and table_permissions are both empty: grant would "
                "create nothing"
            )
        reject_string(tables, "tables", "table names")
        if tables is not None:
            if not tables:
                raise ValueError(
                    "tables must name at least one table (None: every table of the database)"
                )
            if not table_permissions:
                raise ValueError(
                    f"tables {list(tables)} need table_permissions (it is empty, so no table "
                    "permission would be granted)"
                )
        for table in tables or ():
            validate_glue_name(table, "tables")
        account = cdk.Stack.of(self).account
        database_name = self.catalog.database_name(zone)
        who = lakeformation.CfnPrincipalPermissions.DataLakePrincipalProperty(
            data_lake_principal_identifier=principal.role_arn
        )
        prefix = f"{cdk.Names.node_unique_id(principal.node)}{camel(zone)}"
        created = []
        if database_permissions:
            created.append(
                lakeformation.CfnPrincipalPermissions(
                    self,
                    f"{prefix}Database",
                    catalog=account,
                    principal=who,
                    permissions=list(database_permissions),
                    permissions_with_grant_option=[],
                    resource=lakeformation.CfnPrincipalPermissions.ResourceProperty(
                        database=lakeformation.CfnPrincipalPermissions.DatabaseResourceProperty(
                            catalog_id=account, name=database_name
                        )
                    ),
                )
            )
        if table_permissions:
            targets: list[tuple[str, dict[str, Any]]] = (
                [("AllTables", {"table_wildcard": {}})]
                if tables is None
                else [(camel(t), {"name": t}) for t in tables]
            )
            for suffix, selector in targets:
                created.append(
                    lakeformation.CfnPrincipalPermissions(
                        self,
                        f"{prefix}{suffix}Table",
                        catalog=account,
                        principal=who,
                        permissions=list(table_permissions),
                        permissions_with_grant_option=[],
                        resource=lakeformation.CfnPrincipalPermissions.ResourceProperty(
                            table=lakeformation.CfnPrincipalPermissions.TableResourceProperty(
                                catalog_id=account, database_name=database_name, **selector
                            )
                        ),
                    )
                )
        for permission in created:
            permission.add_resource_dependency(self.catalog.database(zone))
        self.permissions += created
        self._grant_data_access(principal)
        return created

    def _grant_data_access(self, principal: iam.IRole) -> None:
        """``lakeformation:GetDataAccess`` in a managed policy of its own, once per principal.

        The action has no resource-level permissions (Resource must be ``*``), so the policy
        holds that one statement and only its ``Resource::*`` finding is acknowledged.
        """
        construct_id = f"{cdk.Names.node_unique_id(principal.node)}DataAccess"
        if self.node.try_find_child(construct_id) is not None:
            return
        policy = iam.ManagedPolicy(
            self,
            construct_id,
            description="Lake Formation credential vending for registered data",
            roles=[principal],
            statements=[
                iam.PolicyStatement(
                    sid="LakeFormationDataAccess",
                    actions=[GET_DATA_ACCESS],
                    resources=["*"],
                )
            ],
        )
        acknowledge(
            policy,
            f"{IAM5}[Resource::*]",
            "lakeformation:GetDataAccess has no resource-level permissions (IAM requires "
            "Resource '*'); this policy holds only that action, and what it returns is limited "
            "by the Lake Formation grants of the principal.",
        )


def _check_permissions(permissions: Sequence[str], allowed: frozenset[str], prop: str) -> None:
    if isinstance(permissions, str):
        raise TypeError(f"{prop} must be a sequence of permission names, got {permissions!r}")
    unknown = sorted(set(permissions) - allowed)
    if unknown:
        raise ValueError(f"{prop}: unknown permissions {unknown}; allowed: {sorted(allowed)}")
