"""cdk-nag wiring: the packs we enforce and a scoped, reasoned acknowledgement helper."""

from ml_data_platform.compliance.nag import (
    ENFORCED_PACKS,
    ComplianceFindings,
    NagPack,
    acknowledge,
    check_validation_report,
    enable_compliance_checks,
    skip_checkov,
)

__all__ = [
    "ENFORCED_PACKS",
    "ComplianceFindings",
    "NagPack",
    "acknowledge",
    "check_validation_report",
    "enable_compliance_checks",
    "skip_checkov",
]
