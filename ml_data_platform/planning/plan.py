"""``plan(profile)``: stream mode and shards, Firehose buffering, lifecycle per zone and a cost
estimate, exportable as the cdk.json context the config loader reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ml_data_platform.core.names import CONTEXT_KEY, validate_slug
from ml_data_platform.datasets import DeliveryFormat
from ml_data_platform.planning.cost import CostEstimate, estimate_costs
from ml_data_platform.planning.prices import PriceTable, load_prices
from ml_data_platform.planning.profile import WorkloadProfile, Zone
from ml_data_platform.planning.sizing import (
    Buffering,
    PartitioningRecommendation,
    StreamRecommendation,
    recommend_buffering,
    recommend_partitioning,
    recommend_stream_mode,
)
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset, Transition

# What a zone is planned with, in this order, when ``retention_days`` ends before its access
# pattern's preset moves data for the last time (S3 rejects an expiration before a transition).
RETENTION_FALLBACKS = (LifecyclePreset.INFREQUENT_ACCESS, LifecyclePreset.STANDARD)


@dataclass(frozen=True)
class Plan:
    """Settings and costs for one workload.

    Args:
        profile: The workload planned for.
        stream: Kinesis capacity mode and shards.
        buffering: Firehose buffering hints.
        lifecycle_presets: Lifecycle preset per zone.
        costs: Month-by-month cost estimate.
        notes: What the plan changed from the profile, and why (e.g. a preset that did not
            fit the retention). Default: none.
    """

    profile: WorkloadProfile
    stream: StreamRecommendation
    buffering: Buffering
    lifecycle_presets: Mapping[Zone, LifecyclePreset]
    costs: CostEstimate
    notes: tuple[str, ...] = ()

    @property
    def partitioning(self) -> PartitioningRecommendation:
        """Time partitioning for the dataset (``datasets[].granularity`` in cdk.json)."""
        profile = self.profile
        return recommend_partitioning(profile.average_bytes_per_second / profile.compression_ratio)

    @property
    def delivery_format(self) -> DeliveryFormat:
        return DeliveryFormat.PARQUET if self.profile.parquet else DeliveryFormat.JSON_GZIP

    def to_context(self, env_name: str) -> dict[str, Any]:
        """The cdk.json ``context`` entry for environment ``env_name``, in the shape
        ``config.settings_from_context`` reads. Dynamic partitioning only shapes the buffering:
        it needs partition keys and a matching table, so it is not a config key."""
        validate_slug(env_name, "env_name")
        stream: dict[str, Any] = {"mode": self.stream.mode.value}
        if self.stream.shard_count is not None:
            stream["shard_count"] = self.stream.shard_count
        stream["retention_hours"] = self.profile.stream_retention_hours
        environment = {
            "stream": stream,
            "delivery": {
                "buffer_interval_seconds": self.buffering.interval_seconds,
                "buffer_size_mib": self.buffering.size_mib,
                "format": self.delivery_format.value,
            },
            "lifecycle": {zone.value: self._lifecycle_context(zone) for zone in Zone},
        }
        return {CONTEXT_KEY: {"environments": {env_name: environment}}}

    def _lifecycle_context(self, zone: Zone) -> str | dict[str, Any]:
        """The preset name, or ``{"preset", "expire_after_days"}`` when the zone expires data."""
        preset = self.lifecycle_presets[zone].value
        days = _expire_after_days(self.profile, zone)
        return preset if days is None else {"preset": preset, "expire_after_days": days}


def plan(profile: WorkloadProfile, *, months: int = 12, prices: PriceTable | None = None) -> Plan:
    """Plan ``profile``: the raw zone's lifecycle expires data after ``retention_days``.

    Args:
        profile: The workload.
        months: Months to estimate. Default: 12.
        prices: Price table. Default: ``load_prices(profile.region)``.
    """
    prices = prices or load_prices(profile.region)
    stream = recommend_stream_mode(
        profile.peak_events_per_second,
        profile.average_event_bytes,
        profile.average_events_per_second,
        prices=prices,
    )
    buffering = recommend_buffering(
        profile.average_bytes_per_second,
        parquet=profile.parquet,
        dynamic_partitioning=profile.dynamic_partitioning,
    )
    presets, notes = {}, []
    for zone in Zone:
        presets[zone], note = _fitting_preset(profile, zone)
        notes += [note] if note else []
    lifecycles = {
        zone: Lifecycle.preset(
            preset, expire_after_days=_expire_after_days(profile, zone)
        ).validate(f"the {zone.value} zone")
        for zone, preset in presets.items()
    }
    costs = estimate_costs(profile, lifecycles, months, prices, stream=stream, buffering=buffering)
    return Plan(profile, stream, buffering, MappingProxyType(presets), costs, tuple(notes))


def _fitting_preset(profile: WorkloadProfile, zone: Zone) -> tuple[LifecyclePreset, str | None]:
    """The zone's preset, or when the retention ends before its last transition the first of
    ``RETENTION_FALLBACKS`` whose transitions fit (each class's minimum storage duration
    included, so nothing is billed for days it was not kept), with a note saying so."""
    preset = profile.zone_access[zone].preset
    days = _expire_after_days(profile, zone)
    last = _last_transition(preset)
    if days is None or last is None or days > last.after_days:
        return preset, None
    chosen = next(
        fallback
        for fallback in RETENTION_FALLBACKS
        if all(
            t.after_days + t.storage_class.minimum_storage_days <= days
            for t in _transitions(fallback)
        )
    )
    return chosen, (
        f"{zone.value} zone: retention_days {days} does not outlast the {preset.value} preset's "
        f"last transition ({last.storage_class.name} at day {last.after_days}) of access "
        f"pattern {profile.zone_access[zone].value}; planned with {chosen.value} instead "
        f"(choose another with --{zone.value}-access / zone_access)"
    )


def _transitions(preset: LifecyclePreset) -> list[Transition]:
    return [t for rule in Lifecycle.preset(preset).rules for t in rule.transitions]


def _last_transition(preset: LifecyclePreset) -> Transition | None:
    return max(_transitions(preset), key=lambda t: t.after_days, default=None)


def _expire_after_days(profile: WorkloadProfile, zone: Zone) -> int | None:
    """``retention_days`` applies to the raw zone only."""
    return profile.retention_days if zone is Zone.RAW else None
