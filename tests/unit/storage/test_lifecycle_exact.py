"""Lifecycle rules word for word and at their limits: the messages name the owner, the rule and
the broken value; the S3 day limit applies to days only; ``as_lifecycle`` accepts exactly the
documented forms; ``to_cdk`` carries every setting. Gaps a mutation run (one mutant at a time)
found unpinned (issue 19)."""

import pytest

from ml_data_platform.core.limits import S3_MAX_LIFECYCLE_DAYS
from ml_data_platform.storage.lifecycle import (
    Lifecycle,
    LifecyclePreset,
    LifecycleRule,
    StorageClass,
    Transition,
    as_lifecycle,
)

SC = StorageClass
OWNER = "bucket 'Raw'"
WHERE = "lifecycle for bucket 'Raw', rule 'r'"
PRESETS = "'archive', 'intelligent-tiering', 'infrequent-access', 'logs', 'standard'"


def error_of(lifecycle_or_rule):
    with pytest.raises((ValueError, TypeError)) as raised:
        lifecycle_or_rule.validate(OWNER)
    return str(raised.value)


def test_days_are_limited_by_s3_and_bytes_are_not():
    assert S3_MAX_LIFECYCLE_DAYS == 2**31 - 1
    LifecycleRule("r", expire_after_days=S3_MAX_LIFECYCLE_DAYS).validate(OWNER)
    assert error_of(LifecycleRule("r", expire_after_days=2**31)) == (
        f"{WHERE}: expire_after_days must be ≤ {2**31 - 1} days (S3 limit), got {2**31}"
    )
    big = LifecycleRule("r", expire_after_days=1, object_size_less_than=2**40)
    big.validate(OWNER)  # object sizes are bytes: no day limit


@pytest.mark.parametrize(
    ("first", "second", "allowed"),
    [
        (SC.GLACIER, SC.GLACIER_IR, "DEEP_ARCHIVE"),
        (SC.DEEP_ARCHIVE, SC.GLACIER, "none"),
        (SC.ONEZONE_IA, SC.GLACIER_IR, "DEEP_ARCHIVE, GLACIER"),
    ],
)
def test_a_transition_against_the_waterfall_names_what_may_follow(first, second, allowed):
    rule = LifecycleRule("r", transitions=(Transition(first, 30), Transition(second, 400)))
    assert error_of(rule) == (
        f"{WHERE}: transition {first.name} → {second.name} is not allowed by the S3 waterfall "
        f"(from {first.name}: {allowed})"
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            LifecycleRule("r", transitions=(Transition(SC.STANDARD_IA, 30),), expire_after_days=30),
            "expire_after_days (30) must be after the last transition (STANDARD_IA at day 30)",
        ),
        (
            LifecycleRule(
                "r",
                noncurrent_transitions=(Transition(SC.GLACIER, 10),),
                noncurrent_expire_after_days=10,
            ),
            "noncurrent expire_after_days (10) must be after the last transition (GLACIER at "
            "day 10)",
        ),
    ],
)
def test_an_expiration_before_the_last_transition_is_named_with_its_kind(rule, message):
    assert error_of(rule) == f"{WHERE}: {message}"


def test_a_rule_with_only_one_action_of_any_kind_is_valid():
    for action in (
        {"expired_object_delete_marker": True},
        {"abort_incomplete_uploads_after_days": 1},
        {"noncurrent_expire_after_days": 1},
    ):
        LifecycleRule("r", **action).validate(OWNER)
    assert error_of(LifecycleRule("r")) == (
        f"{WHERE}: has no action (transition, expiration or abort)"
    )


def test_lifecycle_rules_must_be_a_sequence_of_rules():
    rule = LifecycleRule("r", expire_after_days=1)
    assert error_of(Lifecycle(rule)) == (
        f"lifecycle for {OWNER}: rules must be a sequence of LifecycleRule, got LifecycleRule "
        "(one rule: Lifecycle((rule,)))"
    )
    assert error_of(Lifecycle("rules")) == (
        f"lifecycle for {OWNER}: rules must be a sequence of LifecycleRule, got str (one rule: "
        "Lifecycle((rule,)))"
    )
    assert error_of(Lifecycle((rule, "r2"))) == (
        f"lifecycle for {OWNER}: rules must be LifecycleRule objects, got str: 'r2'"
    )


def test_a_lifecycle_names_its_owner_in_each_rules_message():
    assert error_of(Lifecycle((LifecycleRule("r"),))) == (
        f"{WHERE}: has no action (transition, expiration or abort)"
    )


@pytest.mark.parametrize(
    "value",
    [
        LifecyclePreset.INTELLIGENT_TIERING,
        "intelligent-tiering",
        "INTELLIGENT_TIERING",
        "INTELLIGENT-TIERING",
    ],
)
def test_as_lifecycle_reads_a_preset_its_value_or_its_name(value):
    assert as_lifecycle(value, "lifecycle", LifecyclePreset.ARCHIVE) == Lifecycle.preset(
        LifecyclePreset.INTELLIGENT_TIERING
    )


def test_as_lifecycle_keeps_a_lifecycle_and_defaults_none():
    lifecycle = Lifecycle((LifecycleRule("r", expire_after_days=1),))
    assert as_lifecycle(lifecycle, "lifecycle", LifecyclePreset.ARCHIVE) is lifecycle
    assert as_lifecycle(None, "lifecycle", LifecyclePreset.LOGS) == Lifecycle.preset(
        LifecyclePreset.LOGS
    )


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            "Intelligent-Tiering",
            ValueError,
            f"lifecycle 'Intelligent-Tiering' is not a lifecycle preset (one of {PRESETS})",
        ),
        (
            LifecycleRule("r", expire_after_days=1),
            TypeError,
            "lifecycle must be a Lifecycle or a LifecyclePreset, got a LifecycleRule: wrap it, "
            "Lifecycle((rule,)), or add it to a preset's rules (which also expire noncurrent "
            "versions and abort incomplete uploads): "
            "Lifecycle.preset(LifecyclePreset.ARCHIVE).with_rules(...)",
        ),
        (
            [LifecycleRule("r", expire_after_days=1), LifecycleRule("s", expire_after_days=2)],
            TypeError,
            "lifecycle must be a Lifecycle or a LifecyclePreset, got LifecycleRules: wrap it, "
            "Lifecycle(tuple(rules)), or add it to a preset's rules (which also expire "
            "noncurrent versions and abort incomplete uploads): "
            "Lifecycle.preset(LifecyclePreset.ARCHIVE).with_rules(...)",
        ),
        (
            [],
            TypeError,
            f"lifecycle must be a Lifecycle, a LifecyclePreset or a preset name ({PRESETS}), "
            "got list: []",
        ),
        (
            ("archive", 5),
            TypeError,
            f"lifecycle must be a Lifecycle, a LifecyclePreset or a preset name ({PRESETS}), "
            "got tuple: ('archive', 5)",
        ),
    ],
)
def test_as_lifecycle_refuses_anything_else_with_the_fix(value, error, message):
    with pytest.raises(error) as raised:
        as_lifecycle(value, "lifecycle", LifecyclePreset.ARCHIVE)
    assert str(raised.value) == message


def test_to_cdk_carries_every_setting_of_a_rule():
    rule = LifecycleRule(
        "everything",
        transitions=(Transition(SC.STANDARD_IA, 30),),
        expire_after_days=400,
        noncurrent_transitions=(Transition(SC.GLACIER, 5),),
        noncurrent_expire_after_days=100,
        noncurrent_versions_to_retain=3,
        prefix="events/",
        object_size_greater_than=1024,
        object_size_less_than=2048,
    ).to_cdk()
    assert (rule.id, rule.enabled, rule.prefix) == ("everything", True, "events/")
    assert rule.expiration.to_days() == 400
    assert rule.noncurrent_version_expiration.to_days() == 100
    assert rule.noncurrent_versions_to_retain == 3
    assert (rule.object_size_greater_than, rule.object_size_less_than) == (1024, 2048)
    assert rule.tag_filters is None and rule.abort_incomplete_multipart_upload_after is None
    assert rule.expired_object_delete_marker is None
    (noncurrent,) = rule.noncurrent_version_transitions
    assert noncurrent.transition_after.to_days() == 5
    assert noncurrent.noncurrent_versions_to_retain == 3
    tagged = LifecycleRule("tagged", tags={"tier": "cold"}, expire_after_days=9).to_cdk()
    assert tagged.tag_filters == {"tier": "cold"}
    hygiene = LifecycleRule(
        "hygiene", abort_incomplete_uploads_after_days=7, expired_object_delete_marker=True
    ).to_cdk()
    assert hygiene.abort_incomplete_multipart_upload_after.to_days() == 7
    assert hygiene.expired_object_delete_marker is True
    assert (hygiene.expiration, hygiene.transitions, hygiene.prefix) == (None, None, None)
