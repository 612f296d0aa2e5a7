"""Restores from the archive tiers with S3 Batch Operations: the zone's inventory, role and
report bucket (``LakeRestoreAccess``), and the request model the ``restore`` CLI uses."""

from ml_data_platform.restore.access import LakeRestoreAccess
from ml_data_platform.restore.request import ArchiveClass, RestoreRequest, RestoreTier

__all__ = ["ArchiveClass", "LakeRestoreAccess", "RestoreRequest", "RestoreTier"]
