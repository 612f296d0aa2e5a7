"""Typed S3 lifecycle configuration, validated at synth time.

Rules encoded (S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle" and
"Amazon S3 storage classes"):
https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-class-intro.html

- Transitions to STANDARD_IA or ONEZONE_IA need objects at least 30 days old.
- Transitions follow the S3 waterfall, only "downward" (e.g. ONEZONE_IA cannot go to GLACIER_IR).
- Each transition comes after the previous one by at least the previous class's minimum storage
  duration (IA 30 days, Glacier IR/Flexible Retrieval 90, Deep Archive 180); S3 itself rejects an
  IA → Glacier gap under 30 days, and shorter gaps are billed as if the object stayed.
- A class appears once per rule; expiration comes after the last transition.
- Since September 2024, objects smaller than 128 KiB are not transitioned by default.
- A bucket has at most 1,000 rules; a rule keeps at most 100 newest noncurrent versions, and
  only for its noncurrent transitions and expiration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from ml_data_platform.core.inputs import repeated
from ml_data_platform.core.limits import (
    S3_MAX_LIFECYCLE_DAYS,
    S3_MAX_LIFECYCLE_RULES,
    S3_MAX_NONCURRENT_VERSIONS_TO_RETAIN,
    S3_MIN_DAYS_BEFORE_IA_TRANSITION,
)

DEFAULT_ABORT_INCOMPLETE_UPLOADS_DAYS = 7
DEFAULT_NONCURRENT_EXPIRATION_DAYS = 90
MAX_TAG_FILTERS = 10


class StorageClass(Enum):
    """S3 storage classes a lifecycle rule can transition objects to.

    Each member carries its API name and its minimum storage duration in days.

    Attributes:
        api_name: The S3 API name (``STANDARD_IA``).
        minimum_storage_days: Days S3 bills at least, however early an object leaves.
    """

    STANDARD_IA = ("STANDARD_IA", 30)
    """Standard-Infrequent Access."""
    INTELLIGENT_TIERING = ("INTELLIGENT_TIERING", 0)
    """Intelligent-Tiering (no minimum storage duration)."""
    ONEZONE_IA = ("ONEZONE_IA", 30)
    """One Zone-Infrequent Access (one availability zone)."""
    GLACIER_IR = ("GLACIER_IR", 90)
    """Glacier Instant Retrieval."""
    GLACIER = ("GLACIER", 90)
    """Glacier Flexible Retrieval."""
    DEEP_ARCHIVE = ("DEEP_ARCHIVE", 180)
    """Glacier Deep Archive."""

    def __init__(self, api_name: str, minimum_storage_days: int) -> None:
        self.api_name = api_name
        self.minimum_storage_days = minimum_storage_days

    @property
    def minimum_age_days(self) -> int:
        """Minimum object age for a transition into this class (30 for IA classes, else 0)."""
        return S3_MIN_DAYS_BEFORE_IA_TRANSITION if self in _IA_CLASSES else 0

    def can_follow(self, previous: StorageClass) -> bool:
        """Whether S3 allows a transition from ``previous`` into this class."""
        return self in _WATERFALL[previous]

    def to_cdk(self) -> s3.StorageClass:
        """The equivalent ``aws_s3.StorageClass``."""
        return _CDK_CLASSES[self]


_IA_CLASSES = frozenset({StorageClass.STANDARD_IA, StorageClass.ONEZONE_IA})
_SC = StorageClass
# Allowed next classes, from the S3 waterfall diagram (STANDARD can go to any class).
_WATERFALL: dict[StorageClass, frozenset[StorageClass]] = {
    _SC.STANDARD_IA: frozenset(
        {_SC.INTELLIGENT_TIERING, _SC.ONEZONE_IA, _SC.GLACIER_IR, _SC.GLACIER, _SC.DEEP_ARCHIVE}
    ),
    _SC.INTELLIGENT_TIERING: frozenset(
        {_SC.ONEZONE_IA, _SC.GLACIER_IR, _SC.GLACIER, _SC.DEEP_ARCHIVE}
    ),
    _SC.ONEZONE_IA: frozenset({_SC.GLACIER, _SC.DEEP_ARCHIVE}),
    _SC.GLACIER_IR: frozenset({_SC.GLACIER, _SC.DEEP_ARCHIVE}),
    _SC.GLACIER: frozenset({_SC.DEEP_ARCHIVE}),
    _SC.DEEP_ARCHIVE: frozenset(),
}
_CDK_CLASSES = {
    _SC.STANDARD_IA: s3.StorageClass.INFREQUENT_ACCESS,
    _SC.INTELLIGENT_TIERING: s3.StorageClass.INTELLIGENT_TIERING,
    _SC.ONEZONE_IA: s3.StorageClass.ONE_ZONE_INFREQUENT_ACCESS,
    _SC.GLACIER_IR: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
    _SC.GLACIER: s3.StorageClass.GLACIER,
    _SC.DEEP_ARCHIVE: s3.StorageClass.DEEP_ARCHIVE,
}


@dataclass(frozen=True)
class Transition:
    """Move objects to ``storage_class`` ``after_days`` days after creation (or after they
    became noncurrent, in a noncurrent-version transition)."""

    storage_class: StorageClass
    after_days: int


@dataclass(frozen=True)
class LifecycleRule:
    """One S3 lifecycle rule.

    Args:
        id: Rule identifier, unique in the bucket.
        transitions: Current-version transitions in ascending days. Default: none.
        expire_after_days: Delete current versions after this many days. Default: never.
        noncurrent_transitions: Noncurrent-version transitions. Default: none.
        noncurrent_expire_after_days: Delete noncurrent versions this many days after they
            become noncurrent. Default: never.
        noncurrent_versions_to_retain: Keep this many (1–100) newest noncurrent versions out
            of the noncurrent transitions and expiration, whatever their age; needs
            ``noncurrent_transitions`` or ``noncurrent_expire_after_days``. Default: none kept
            beyond the day rules.
        abort_incomplete_uploads_after_days: Abort multipart uploads left incomplete.
            Default: never (the presets' hygiene rule sets 7).
        expired_object_delete_marker: Remove delete markers with no noncurrent versions left.
            Default: False.
        prefix: Only objects under this key prefix. Default: the whole bucket.
        tags: Only objects with all these tags (≤ 10). Default: no tag filter.
        object_size_greater_than: Only objects larger than this many bytes. Default: S3's
            default (objects < 128 KiB are not transitioned).
        object_size_less_than: Only objects smaller than this many bytes. Default: no limit.
    """

    id: str
    transitions: Sequence[Transition] = ()
    expire_after_days: int | None = None
    noncurrent_transitions: Sequence[Transition] = ()
    noncurrent_expire_after_days: int | None = None
    noncurrent_versions_to_retain: int | None = None
    abort_incomplete_uploads_after_days: int | None = None
    expired_object_delete_marker: bool = False
    prefix: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    object_size_greater_than: int | None = None
    object_size_less_than: int | None = None

    def validate(self, owner: str) -> None:
        """Raise ``ValueError`` naming ``owner``, this rule and the broken rule."""
        where = f"lifecycle for {owner}, rule '{self.id}'"
        if not self.id or len(self.id) > 255:
            raise ValueError(f"lifecycle for {owner}: rule id {self.id!r} must be 1–255 characters")
        _check_transitions(self.transitions, where, "")
        _check_transitions(self.noncurrent_transitions, where, "noncurrent ")
        _check_expiration(self.transitions, self.expire_after_days, where, "")
        _check_expiration(
            self.noncurrent_transitions, self.noncurrent_expire_after_days, where, "noncurrent "
        )
        if self.abort_incomplete_uploads_after_days is not None:
            _check_days(
                self.abort_incomplete_uploads_after_days,
                f"{where}: abort_incomplete_uploads_after_days",
                minimum=1,
            )
        self._check_versions_to_retain(where)
        self._check_filters(where)
        if not self._has_action():
            raise ValueError(f"{where}: has no action (transition, expiration or abort)")

    def _check_versions_to_retain(self, where: str) -> None:
        if self.noncurrent_versions_to_retain is None:
            return
        _check_days(
            self.noncurrent_versions_to_retain,
            f"{where}: noncurrent_versions_to_retain",
            minimum=1,
            maximum=S3_MAX_NONCURRENT_VERSIONS_TO_RETAIN,
            unit="versions",
        )
        if not (self.noncurrent_transitions or self.noncurrent_expire_after_days):
            raise ValueError(
                f"{where}: noncurrent_versions_to_retain needs noncurrent_transitions or "
                "noncurrent_expire_after_days (S3 applies it only to those actions)"
            )

    def _check_filters(self, where: str) -> None:
        if self.prefix is not None and self.prefix.startswith("/"):
            raise ValueError(f"{where}: prefix {self.prefix!r} must not start with '/'")
        if len(self.tags) > MAX_TAG_FILTERS:
            raise ValueError(f"{where}: {len(self.tags)} tag filters, at most {MAX_TAG_FILTERS}")
        if self.tags and self.abort_incomplete_uploads_after_days is not None:
            raise ValueError(f"{where}: S3 rejects abort_incomplete_uploads_after_days with tags")
        if self.expired_object_delete_marker and (self.tags or self.expire_after_days):
            raise ValueError(
                f"{where}: S3 rejects expired_object_delete_marker with tags or expire_after_days"
            )
        for prop in ("object_size_greater_than", "object_size_less_than"):
            value = getattr(self, prop)
            if value is not None:
                _check_days(value, f"{where}: {prop}", minimum=0, unit="bytes")
        greater, less = self.object_size_greater_than, self.object_size_less_than
        if greater is not None and less is not None and less <= greater:
            raise ValueError(
                f"{where}: object_size_less_than ({less}) must exceed "
                f"object_size_greater_than ({greater})"
            )

    def _has_action(self) -> bool:
        return bool(
            self.transitions
            or self.noncurrent_transitions
            or self.expire_after_days
            or self.noncurrent_expire_after_days
            or self.abort_incomplete_uploads_after_days
            or self.expired_object_delete_marker
        )

    def to_cdk(self) -> s3.LifecycleRule:
        """The equivalent ``aws_s3.LifecycleRule``."""
        return s3.LifecycleRule(
            id=self.id,
            enabled=True,
            prefix=self.prefix,
            tag_filters=dict(self.tags) or None,
            transitions=[
                s3.Transition(storage_class=t.storage_class.to_cdk(), transition_after=_days(t))
                for t in self.transitions
            ]
            or None,
            expiration=_optional_days(self.expire_after_days),
            noncurrent_version_transitions=[
                s3.NoncurrentVersionTransition(
                    storage_class=t.storage_class.to_cdk(),
                    transition_after=_days(t),
                    noncurrent_versions_to_retain=self.noncurrent_versions_to_retain,
                )
                for t in self.noncurrent_transitions
            ]
            or None,
            noncurrent_version_expiration=_optional_days(self.noncurrent_expire_after_days),
            noncurrent_versions_to_retain=self.noncurrent_versions_to_retain,
            abort_incomplete_multipart_upload_after=_optional_days(
                self.abort_incomplete_uploads_after_days
            ),
            expired_object_delete_marker=self.expired_object_delete_marker or None,
            object_size_greater_than=self.object_size_greater_than,
            object_size_less_than=self.object_size_less_than,
        )


@dataclass(frozen=True)
class Lifecycle:
    """A bucket's lifecycle: a set of rules validated together."""

    rules: Sequence[LifecycleRule] = ()

    def validate(self, owner: str) -> Lifecycle:
        """Validate every rule; return ``self`` so it can be chained."""
        if isinstance(self.rules, (str, bytes, LifecycleRule)) or not isinstance(
            self.rules, Sequence
        ):
            raise TypeError(
                f"lifecycle for {owner}: rules must be a sequence of LifecycleRule, got "
                f"{type(self.rules).__name__} (one rule: Lifecycle((rule,)))"
            )
        for rule in self.rules:
            if not isinstance(rule, LifecycleRule):
                raise TypeError(
                    f"lifecycle for {owner}: rules must be LifecycleRule objects, got "
                    f"{type(rule).__name__}: {rule!r:.80}"
                )
        if len(self.rules) > S3_MAX_LIFECYCLE_RULES:
            raise ValueError(
                f"lifecycle for {owner}: {len(self.rules)} rules, at most "
                f"{S3_MAX_LIFECYCLE_RULES} per bucket (S3 limit)"
            )
        ids = [rule.id for rule in self.rules]
        duplicates = repeated(ids)
        if duplicates:
            raise ValueError(f"lifecycle for {owner}: duplicate rule ids {duplicates}")
        for rule in self.rules:
            rule.validate(owner)
        return self

    def to_cdk(self) -> list[s3.LifecycleRule]:
        """The equivalent ``aws_s3.LifecycleRule`` list, one per rule."""
        return [rule.to_cdk() for rule in self.rules]

    @staticmethod
    def preset(
        preset: LifecyclePreset,
        *,
        expire_after_days: int | None = None,
        noncurrent_expire_after_days: int = DEFAULT_NONCURRENT_EXPIRATION_DAYS,
        abort_incomplete_uploads_after_days: int = DEFAULT_ABORT_INCOMPLETE_UPLOADS_DAYS,
    ) -> Lifecycle:
        """A named preset plus the hygiene rule every bucket gets.

        Args:
            preset: Which tiering to apply to current versions.
            expire_after_days: Also delete current versions after this many days.
                Default: never (``LOGS`` defaults to 365).
            noncurrent_expire_after_days: Delete noncurrent versions after. Default: 90.
            abort_incomplete_uploads_after_days: Abort incomplete multipart uploads. Default: 7.
        """
        transitions = _PRESET_TRANSITIONS[preset]
        if preset is LifecyclePreset.LOGS and expire_after_days is None:
            expire_after_days = DEFAULT_LOG_EXPIRATION_DAYS
        rules = []
        if transitions or expire_after_days:
            rules.append(
                LifecycleRule(
                    id=f"{preset.value}-tiering",
                    transitions=transitions,
                    expire_after_days=expire_after_days,
                )
            )
        rules.append(
            LifecycleRule(
                id="hygiene",
                noncurrent_expire_after_days=noncurrent_expire_after_days,
                abort_incomplete_uploads_after_days=abort_incomplete_uploads_after_days,
                expired_object_delete_marker=True,
            )
        )
        return Lifecycle(tuple(rules))

    def storage_schedule(self) -> list[Transition]:
        """Transitions of current versions for the whole bucket (rules without filters), in
        order: what an object written today goes through. Used by the cost planner."""
        unfiltered = [r for r in self.rules if r.prefix is None and not r.tags]
        return sorted((t for r in unfiltered for t in r.transitions), key=lambda t: t.after_days)

    def expiration_days(self, key_prefix: str | None = None) -> int | None:
        """Earliest expiration of current versions for the whole bucket or, with ``key_prefix``,
        for every object under it (rules whose prefix contains it; tag filters excluded)."""
        days = [
            r.expire_after_days
            for r in self.rules
            if r.expire_after_days
            and not r.tags
            and (r.prefix is None or (key_prefix is not None and key_prefix.startswith(r.prefix)))
        ]
        return min(days) if days else None

    def with_rules(self, *rules: LifecycleRule) -> Lifecycle:
        """A copy with ``rules`` appended (validate the result before use)."""
        return Lifecycle((*self.rules, *rules))


def as_lifecycle(value: object, prop: str, default: LifecyclePreset) -> Lifecycle:
    """The ``Lifecycle`` meant by ``value``: a ``Lifecycle`` as is; a ``LifecyclePreset`` or
    its value or name (``"archive"``, ``"ARCHIVE"``) as ``Lifecycle.preset(...)``; None as
    ``default``. Anything else is a ``TypeError``/``ValueError`` naming ``prop`` and the fix
    (a single ``LifecycleRule``: wrap it, or add it to a preset with ``with_rules``)."""
    if value is None:
        return Lifecycle.preset(default)
    if isinstance(value, Lifecycle):
        return value
    if isinstance(value, LifecyclePreset):
        return Lifecycle.preset(value)
    presets = ", ".join(repr(p.value) for p in LifecyclePreset)
    if isinstance(value, str):
        for preset in LifecyclePreset:
            if value in (preset.value, preset.name, preset.value.upper()):
                return Lifecycle.preset(preset)
        raise ValueError(f"{prop} {value!r} is not a lifecycle preset (one of {presets})")
    rules = (
        [value]
        if isinstance(value, LifecycleRule)
        else list(value)
        if isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, LifecycleRule) for v in value)
        else None
    )
    if rules is not None:
        what = "a LifecycleRule" if isinstance(value, LifecycleRule) else "LifecycleRules"
        wrapped = "(rule,)" if isinstance(value, LifecycleRule) else "tuple(rules)"
        raise TypeError(
            f"{prop} must be a Lifecycle or a LifecyclePreset, got {what}: wrap it, "
            f"Lifecycle({wrapped}), or add it to a preset's rules (which also expire "
            f"noncurrent versions and abort incomplete uploads): "
            f"Lifecycle.preset(LifecyclePreset.{default.name}).with_rules(...)"
        )
    raise TypeError(
        f"{prop} must be a Lifecycle, a LifecyclePreset or a preset name ({presets}), got "
        f"{type(value).__name__}: {value!r:.80}"
    )


class LifecyclePreset(Enum):
    """Named lifecycles per zone (see ``docs/constructs/data-lake.md``)."""

    ARCHIVE = "archive"
    """Raw data read soon after arrival, then rarely: IA 30 → Glacier IR 90 → Deep Archive 180."""
    INTELLIGENT_TIERING = "intelligent-tiering"
    """Unpredictable access (curated features): Intelligent-Tiering from day 0."""
    INFREQUENT_ACCESS = "infrequent-access"
    """Read often for a month, then sometimes (analytics): Standard-IA after 30 days."""
    LOGS = "logs"
    """Logs: Standard-IA after 30 days, expire after 365 days."""
    STANDARD = "standard"
    """No tiering: only the hygiene rule (noncurrent expiry, aborted uploads)."""


DEFAULT_LOG_EXPIRATION_DAYS = 365
_PRESET_TRANSITIONS: dict[LifecyclePreset, tuple[Transition, ...]] = {
    LifecyclePreset.ARCHIVE: (
        Transition(StorageClass.STANDARD_IA, 30),
        Transition(StorageClass.GLACIER_IR, 90),
        Transition(StorageClass.DEEP_ARCHIVE, 180),
    ),
    LifecyclePreset.INTELLIGENT_TIERING: (Transition(StorageClass.INTELLIGENT_TIERING, 0),),
    LifecyclePreset.INFREQUENT_ACCESS: (Transition(StorageClass.STANDARD_IA, 30),),
    LifecyclePreset.LOGS: (Transition(StorageClass.STANDARD_IA, 30),),
    LifecyclePreset.STANDARD: (),
}


def _check_transitions(transitions: Sequence[Transition], where: str, kind: str) -> None:
    previous: Transition | None = None
    seen: set[StorageClass] = set()
    for transition in transitions:
        if not isinstance(transition, Transition):
            raise TypeError(
                f"{where}: {kind}transitions must be Transition values, got {transition!r}"
            )
        cls, days = transition.storage_class, transition.after_days
        _check_days(days, f"{where}: {kind}{cls.name} after_days", minimum=0)
        if cls in seen:
            raise ValueError(f"{where}: {kind}storage class {cls.name} appears more than once")
        seen.add(cls)
        if days < cls.minimum_age_days:
            raise ValueError(
                f"{where}: {kind}{cls.name} after {days} days must be ≥ {cls.minimum_age_days} "
                f"days (S3 minimum object age for {cls.name})"
            )
        if previous is not None:
            prev_cls = previous.storage_class
            if not cls.can_follow(prev_cls):
                allowed = ", ".join(sorted(c.name for c in _WATERFALL[prev_cls])) or "none"
                raise ValueError(
                    f"{where}: {kind}transition {prev_cls.name} → {cls.name} is not allowed by "
                    f"the S3 waterfall (from {prev_cls.name}: {allowed})"
                )
            gap = max(1, prev_cls.minimum_storage_days)
            if days - previous.after_days < gap:
                raise ValueError(
                    f"{where}: {kind}{cls.name} after {days} days must come ≥ {gap} days after "
                    f"{prev_cls.name} (day {previous.after_days})"
                )
        previous = transition


def _check_expiration(
    transitions: Sequence[Transition], expire_after_days: int | None, where: str, kind: str
) -> None:
    if expire_after_days is None:
        return
    _check_days(expire_after_days, f"{where}: {kind}expire_after_days", minimum=1)
    if transitions:
        last = max(transitions, key=lambda t: t.after_days)
        if expire_after_days <= last.after_days:
            raise ValueError(
                f"{where}: {kind}expire_after_days ({expire_after_days}) must be after the last "
                f"transition ({last.storage_class.name} at day {last.after_days})"
            )


def _check_days(
    value: object, what: str, *, minimum: int, maximum: int | None = None, unit: str = "days"
) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer number of {unit}, got {value!r}")
    if maximum is None and unit == "days":
        maximum = S3_MAX_LIFECYCLE_DAYS
    if value < minimum:
        raise ValueError(f"{what} must be ≥ {minimum} {unit}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{what} must be ≤ {maximum} {unit} (S3 limit), got {value}")


def _days(transition: Transition) -> cdk.Duration:
    return cdk.Duration.days(transition.after_days)


def _optional_days(days: int | None) -> cdk.Duration | None:
    return None if days is None else cdk.Duration.days(days)
