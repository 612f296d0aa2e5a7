"""Deploy guard: stop a deploy that would delete, orphan or replace a data-bearing resource."""

from ml_data_platform.deploy_guard.changes import (
    DATA_BEARING_TYPES,
    DataLossChange,
    data_loss_changes,
)

__all__ = ["DATA_BEARING_TYPES", "DataLossChange", "data_loss_changes"]
