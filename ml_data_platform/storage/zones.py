"""Zone definitions of the data lake."""

from __future__ import annotations

from dataclasses import dataclass

from ml_data_platform.core.names import validate_slug
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset, as_lifecycle


@dataclass(frozen=True)
class DataLakeZone:
    """One zone of the lake (one bucket).

    Args:
        name: Zone name (lowercase letters, digits, ``-``), e.g. ``raw``.
        lifecycle: A preset (or its name, ``"archive"``) or a full ``Lifecycle``.
            Default: ``LifecyclePreset.STANDARD``.
        ml_readable: Whether ``DataLake.grant_ml_consumer`` grants read on it. Default: True.
    """

    name: str
    lifecycle: Lifecycle | LifecyclePreset = LifecyclePreset.STANDARD
    ml_readable: bool = True

    def __post_init__(self) -> None:
        validate_slug(self.name, "zone name")
        # A wrong kind fails here, naming the zone (the rules are validated when resolved).
        as_lifecycle(self.lifecycle, f"zone '{self.name}': lifecycle", LifecyclePreset.STANDARD)

    def resolved_lifecycle(self) -> Lifecycle:
        """The validated lifecycle of this zone."""
        prop = f"zone '{self.name}': lifecycle"
        return as_lifecycle(self.lifecycle, prop, LifecyclePreset.STANDARD).validate(
            f"zone '{self.name}'"
        )


RAW = "raw"
CURATED = "curated"
ANALYTICS = "analytics"
DEFAULT_ZONES: tuple[DataLakeZone, ...] = (
    DataLakeZone(RAW, LifecyclePreset.ARCHIVE, ml_readable=False),
    DataLakeZone(CURATED, LifecyclePreset.INTELLIGENT_TIERING),
    DataLakeZone(ANALYTICS, LifecyclePreset.INFREQUENT_ACCESS),
)
