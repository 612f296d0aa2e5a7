"""Lifecycle: every validation rule with its message, presets, and the CDK mapping."""

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from ml_data_platform.storage import DataLakeBucket
from ml_data_platform.storage.lifecycle import (
    Lifecycle,
    LifecyclePreset,
    LifecycleRule,
    StorageClass,
    Transition,
)
from tests.conftest import make_app, resources_of_type

SC = StorageClass
OWNER = "zone 'raw'"


def rule(*transitions, **kwargs):
    return LifecycleRule("r", transitions=tuple(Transition(c, d) for c, d in transitions), **kwargs)


def test_lifecycle_rejects_glacier_ir_too_soon_after_ia():
    with pytest.raises(ValueError) as error:
        rule((SC.STANDARD_IA, 30), (SC.GLACIER_IR, 30)).validate(OWNER)
    assert str(error.value) == (
        "lifecycle for zone 'raw', rule 'r': GLACIER_IR after 30 days must come ≥ 30 days "
        "after STANDARD_IA (day 30)"
    )


@pytest.mark.parametrize("storage_class", [SC.STANDARD_IA, SC.ONEZONE_IA])
def test_lifecycle_rejects_ia_classes_before_30_days(storage_class):
    with pytest.raises(ValueError, match=rf"{storage_class.name} after 29 days must be ≥ 30 days"):
        rule((storage_class, 29)).validate(OWNER)


@pytest.mark.parametrize(
    "storage_class", [SC.INTELLIGENT_TIERING, SC.GLACIER_IR, SC.GLACIER, SC.DEEP_ARCHIVE]
)
def test_lifecycle_accepts_day_zero_for_non_ia_classes(storage_class):
    rule((storage_class, 0)).validate(OWNER)


@pytest.mark.parametrize(
    ("first", "second", "gap"),
    [
        (SC.GLACIER_IR, SC.DEEP_ARCHIVE, 90),
        (SC.GLACIER, SC.DEEP_ARCHIVE, 90),
        (SC.STANDARD_IA, SC.DEEP_ARCHIVE, 30),
        (SC.INTELLIGENT_TIERING, SC.GLACIER, 1),
    ],
)
def test_lifecycle_enforces_minimum_storage_duration_between_transitions(first, second, gap):
    start = first.minimum_age_days
    rule((first, start), (second, start + gap)).validate(OWNER)
    with pytest.raises(ValueError, match=rf"must come ≥ {gap} days after {first.name}"):
        rule((first, start), (second, start + gap - 1)).validate(OWNER)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (SC.ONEZONE_IA, SC.GLACIER_IR),
        (SC.GLACIER_IR, SC.STANDARD_IA),
        (SC.DEEP_ARCHIVE, SC.GLACIER),
        (SC.GLACIER, SC.GLACIER_IR),
        (SC.INTELLIGENT_TIERING, SC.STANDARD_IA),
    ],
)
def test_lifecycle_rejects_upward_transitions(first, second):
    with pytest.raises(
        ValueError, match=rf"transition {first.name} → {second.name} is not allowed"
    ):
        rule((first, 30), (second, 400)).validate(OWNER)


def test_lifecycle_rejects_duplicate_classes():
    with pytest.raises(ValueError, match="storage class GLACIER appears more than once"):
        rule((SC.GLACIER, 0), (SC.GLACIER, 200)).validate(OWNER)


def test_lifecycle_rejects_expiration_not_after_last_transition():
    with pytest.raises(
        ValueError,
        match=r"expire_after_days \(180\) must be after the last transition "
        r"\(DEEP_ARCHIVE at day 180\)",
    ):
        rule((SC.DEEP_ARCHIVE, 180), expire_after_days=180).validate(OWNER)
    rule((SC.DEEP_ARCHIVE, 180), expire_after_days=181).validate(OWNER)


@pytest.mark.parametrize("bad", [-1, 1.5, "30", True])
def test_lifecycle_rejects_non_integer_or_negative_days(bad):
    with pytest.raises((ValueError, TypeError), match="GLACIER after_days"):
        rule((SC.GLACIER, bad)).validate(OWNER)


def test_lifecycle_rejects_zero_expiration_and_abort():
    with pytest.raises(ValueError, match=r"expire_after_days must be ≥ 1 days, got 0"):
        LifecycleRule("r", expire_after_days=0).validate(OWNER)
    with pytest.raises(ValueError, match="abort_incomplete_uploads_after_days must be ≥ 1"):
        LifecycleRule("r", abort_incomplete_uploads_after_days=0).validate(OWNER)


def test_lifecycle_validates_noncurrent_transitions_with_the_same_rules():
    bad = LifecycleRule(
        "r",
        noncurrent_transitions=(Transition(SC.STANDARD_IA, 10),),
        noncurrent_expire_after_days=60,
    )
    with pytest.raises(ValueError, match="noncurrent STANDARD_IA after 10 days must be ≥ 30"):
        bad.validate(OWNER)
    late = LifecycleRule(
        "r", noncurrent_transitions=(Transition(SC.GLACIER, 30),), noncurrent_expire_after_days=30
    )
    with pytest.raises(ValueError, match="noncurrent expire_after_days"):
        late.validate(OWNER)


def test_lifecycle_rejects_rule_without_action_and_bad_filters():
    with pytest.raises(ValueError, match="has no action"):
        LifecycleRule("r").validate(OWNER)
    with pytest.raises(ValueError, match="prefix '/raw' must not start with '/'"):
        LifecycleRule("r", expire_after_days=5, prefix="/raw").validate(OWNER)
    with pytest.raises(ValueError, match="11 tag filters, at most 10"):
        LifecycleRule("r", expire_after_days=5, tags={f"k{i}": "v" for i in range(11)}).validate(
            OWNER
        )
    with pytest.raises(ValueError, match="abort_incomplete_uploads_after_days with tags"):
        LifecycleRule("r", abort_incomplete_uploads_after_days=7, tags={"a": "b"}).validate(OWNER)
    with pytest.raises(ValueError, match="expired_object_delete_marker with tags"):
        LifecycleRule("r", expired_object_delete_marker=True, expire_after_days=3).validate(OWNER)
    with pytest.raises(ValueError, match=r"object_size_less_than \(10\) must exceed"):
        LifecycleRule(
            "r", expire_after_days=5, object_size_greater_than=10, object_size_less_than=10
        ).validate(OWNER)


def test_lifecycle_rejects_duplicate_rule_ids():
    lifecycle = Lifecycle((LifecycleRule("a", expire_after_days=1),) * 2)
    with pytest.raises(ValueError, match=r"lifecycle for zone 'raw': duplicate rule ids \['a'\]"):
        lifecycle.validate(OWNER)


def test_archive_preset_is_ia_then_glacier_ir_then_deep_archive_with_hygiene():
    lifecycle = Lifecycle.preset(LifecyclePreset.ARCHIVE).validate(OWNER)
    tiering, hygiene = lifecycle.rules
    assert [(t.storage_class, t.after_days) for t in tiering.transitions] == [
        (SC.STANDARD_IA, 30),
        (SC.GLACIER_IR, 90),
        (SC.DEEP_ARCHIVE, 180),
    ]
    assert hygiene.abort_incomplete_uploads_after_days == 7
    assert hygiene.noncurrent_expire_after_days == 90
    assert hygiene.expired_object_delete_marker is True


@pytest.mark.parametrize("preset", list(LifecyclePreset))
def test_every_preset_validates(preset):
    assert Lifecycle.preset(preset).validate(OWNER).rules[-1].id == "hygiene"


def test_logs_preset_expires_after_a_year_and_standard_has_only_hygiene():
    assert Lifecycle.preset(LifecyclePreset.LOGS).expiration_days() == 365
    assert [r.id for r in Lifecycle.preset(LifecyclePreset.STANDARD).rules] == ["hygiene"]


def test_preset_expiration_must_follow_its_transitions():
    with pytest.raises(ValueError, match=r"expire_after_days \(100\) must be after"):
        Lifecycle.preset(LifecyclePreset.ARCHIVE, expire_after_days=100).validate(OWNER)


def test_storage_schedule_ignores_filtered_rules():
    lifecycle = Lifecycle(
        (
            rule((SC.STANDARD_IA, 30)),
            LifecycleRule("tmp", transitions=(Transition(SC.GLACIER, 1),), prefix="tmp/"),
        )
    )
    assert lifecycle.storage_schedule() == [Transition(SC.STANDARD_IA, 30)]


def test_expiration_for_a_key_prefix_takes_the_earliest_covering_rule():
    lifecycle = Lifecycle.preset(LifecyclePreset.LOGS).with_rules(
        LifecycleRule("tmp", prefix="tmp/", expire_after_days=3),
        LifecycleRule("tagged", tags={"scratch": "yes"}, expire_after_days=1),
    )
    assert lifecycle.expiration_days("tmp/a/b/") == 3  # tmp rule beats the bucket-wide 365
    assert lifecycle.expiration_days("data/") == 365  # only the bucket-wide rule covers it
    assert lifecycle.expiration_days() == 365  # prefix rules never count for the whole bucket
    assert Lifecycle.preset(LifecyclePreset.ARCHIVE).expiration_days("tmp/") is None


def test_with_rules_appends_and_duplicate_ids_are_rejected():
    base = Lifecycle.preset(LifecyclePreset.STANDARD)
    extended = base.with_rules(LifecycleRule("tmp", prefix="tmp/", expire_after_days=3))
    assert [r.id for r in extended.rules] == ["hygiene", "tmp"]
    assert [r.id for r in base.rules] == ["hygiene"]  # the original is unchanged
    with pytest.raises(ValueError, match=r"duplicate rule ids \['hygiene'\]"):
        base.with_rules(LifecycleRule("hygiene", expire_after_days=3)).validate(OWNER)


def test_to_cdk_maps_storage_classes_and_days():
    cdk_rule = rule((SC.STANDARD_IA, 30), (SC.GLACIER_IR, 90), expire_after_days=400).to_cdk()
    assert [t.storage_class.value for t in cdk_rule.transitions] == ["STANDARD_IA", "GLACIER_IR"]
    assert [t.transition_after.to_days() for t in cdk_rule.transitions] == [30, 90]
    assert cdk_rule.expiration.to_days() == 400


def test_noncurrent_versions_to_retain_needs_a_noncurrent_action():
    with pytest.raises(ValueError) as error:
        LifecycleRule(
            "r", noncurrent_versions_to_retain=3, abort_incomplete_uploads_after_days=7
        ).validate(OWNER)
    assert str(error.value) == (
        "lifecycle for zone 'raw', rule 'r': noncurrent_versions_to_retain needs "
        "noncurrent_transitions or noncurrent_expire_after_days (S3 applies it only to those "
        "actions)"
    )


@pytest.mark.parametrize(
    ("versions", "error", "message"),
    [
        (0, ValueError, "noncurrent_versions_to_retain must be ≥ 1 versions, got 0"),
        (101, ValueError, r"noncurrent_versions_to_retain must be ≤ 100 versions \(S3 limit\)"),
        ("3", TypeError, "noncurrent_versions_to_retain must be an integer number of versions"),
    ],
)
def test_noncurrent_versions_to_retain_is_1_to_100(versions, error, message):
    with pytest.raises(error, match=rf"^lifecycle for zone 'raw', rule 'r': {message}"):
        LifecycleRule(
            "r", noncurrent_expire_after_days=30, noncurrent_versions_to_retain=versions
        ).validate(OWNER)


def test_noncurrent_versions_to_retain_reaches_expiration_and_transitions():
    lifecycle = Lifecycle(
        (
            LifecycleRule(
                "r",
                noncurrent_transitions=(Transition(SC.GLACIER, 30),),
                noncurrent_expire_after_days=365,
                noncurrent_versions_to_retain=100,
            ),
        )
    )
    stack = cdk.Stack(make_app(), "Versions")
    DataLakeBucket(stack, "Data", lifecycle=lifecycle)
    buckets = resources_of_type(Template.from_stack(stack), "AWS::S3::Bucket")
    (data,) = [b for lid, b in buckets.items() if lid.startswith("DataBucket")]
    (rule_json,) = data["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule_json["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": 365,
        "NewerNoncurrentVersions": 100,
    }
    assert rule_json["NoncurrentVersionTransitions"] == [
        {"StorageClass": "GLACIER", "TransitionInDays": 30, "NewerNoncurrentVersions": 100}
    ]


def test_lifecycle_rejects_more_rules_than_s3_allows():
    rules = tuple(LifecycleRule(f"r{i}", expire_after_days=1) for i in range(1001))
    with pytest.raises(ValueError) as error:
        Lifecycle(rules).validate(OWNER)
    assert str(error.value) == (
        "lifecycle for zone 'raw': 1001 rules, at most 1000 per bucket (S3 limit)"
    )
    Lifecycle(rules[:1000]).validate(OWNER)


# Boundaries a mutation run found unpinned (issue 19).


@pytest.mark.parametrize("length", [1, 255])
def test_rule_ids_of_1_to_255_characters_are_accepted(length):
    LifecycleRule("r" * length, expire_after_days=1).validate(OWNER)


@pytest.mark.parametrize("rule_id", ["", "r" * 256])
def test_rule_ids_empty_or_over_255_characters_are_rejected(rule_id):
    with pytest.raises(ValueError) as error:
        LifecycleRule(rule_id, expire_after_days=1).validate(OWNER)
    assert str(error.value) == (
        f"lifecycle for zone 'raw': rule id {rule_id!r} must be 1–255 characters"
    )


def test_noncurrent_expiration_alone_may_retain_versions():
    """Keeping the newest noncurrent versions with only a noncurrent expiration (no
    noncurrent transitions) is a common, valid rule; so is it with transitions only."""
    only_expiration = LifecycleRule(
        "r", noncurrent_expire_after_days=30, noncurrent_versions_to_retain=5
    )
    only_expiration.validate(OWNER)
    assert only_expiration.to_cdk().noncurrent_versions_to_retain == 5
    LifecycleRule(
        "r",
        noncurrent_transitions=(Transition(SC.GLACIER, 30),),
        noncurrent_versions_to_retain=5,
    ).validate(OWNER)


def test_onezone_ia_needs_30_days_there_before_the_next_transition():
    rule((SC.ONEZONE_IA, 30), (SC.GLACIER, 60)).validate(OWNER)
    with pytest.raises(ValueError) as error:
        rule((SC.ONEZONE_IA, 30), (SC.GLACIER, 59)).validate(OWNER)
    assert str(error.value) == (
        "lifecycle for zone 'raw', rule 'r': GLACIER after 59 days must come ≥ 30 days after "
        "ONEZONE_IA (day 30)"
    )
    assert SC.ONEZONE_IA.minimum_storage_days == 30


@pytest.mark.parametrize("storage_class", [SC.STANDARD_IA, SC.ONEZONE_IA])
def test_ia_classes_are_allowed_from_day_30(storage_class):
    rule((storage_class, 30)).validate(OWNER)


@pytest.mark.parametrize("prop", ["object_size_greater_than", "object_size_less_than"])
def test_object_size_filters_accept_zero_and_reject_negative(prop):
    LifecycleRule("r", expire_after_days=5, **{prop: 0}).validate(OWNER)
    with pytest.raises(ValueError) as error:
        LifecycleRule("r", expire_after_days=5, **{prop: -1}).validate(OWNER)
    assert str(error.value) == (
        f"lifecycle for zone 'raw', rule 'r': {prop} must be ≥ 0 bytes, got -1"
    )


@pytest.mark.parametrize("kind", ["transitions", "noncurrent_transitions"])
def test_a_transition_that_is_not_a_transition_is_a_type_error(kind):
    with pytest.raises(TypeError) as error:
        LifecycleRule("r", expire_after_days=400, **{kind: [(SC.GLACIER, 30)]}).validate(OWNER)
    prefix = "noncurrent " if kind.startswith("noncurrent") else ""
    assert str(error.value) == (
        f"lifecycle for zone 'raw', rule 'r': {prefix}transitions must be Transition values, "
        f"got (<StorageClass.GLACIER: ('GLACIER', 90)>, 30)"
    )


def test_storage_schedule_orders_transitions_of_several_rules_by_day():
    lifecycle = Lifecycle(
        (
            LifecycleRule("late", transitions=(Transition(SC.GLACIER, 200),)),
            LifecycleRule("early", transitions=(Transition(SC.STANDARD_IA, 30),)),
        )
    )
    assert lifecycle.storage_schedule() == [
        Transition(SC.STANDARD_IA, 30),
        Transition(SC.GLACIER, 200),
    ]


def test_ten_tag_filters_are_allowed():
    LifecycleRule("r", expire_after_days=5, tags={f"k{i}": "v" for i in range(10)}).validate(OWNER)
