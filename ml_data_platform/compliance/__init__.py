"""cdk-nag wiring: the packs we enforce, the synth gate, and scoped, reasoned acknowledgements."""

from ml_data_platform.compliance.nag import (
    ENFORCED_PACKS,
    ComplianceFindings,
    NagPack,
    acknowledge,
    acknowledgement_id,
    check_validation_report,
    enable_compliance_checks,
    skip_checkov,
)
from ml_data_platform.compliance.wildcards import acknowledge_policy_wildcards

__all__ = [
    "ENFORCED_PACKS",
    "ComplianceFindings",
    "NagPack",
    "acknowledge",
    "acknowledge_policy_wildcards",
    "acknowledgement_id",
    "check_validation_report",
    "enable_compliance_checks",
    "skip_checkov",
]
