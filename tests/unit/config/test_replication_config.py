"""``replication`` in cdk.json: read in zone order, off unless set, and every mistake named
with its key path, the value and the rule (exact messages: a mutation of a message, a
condition or a key name fails here). The platform it builds is tested in
tests/nag/test_replication_nag.py."""

import copy

import pytest

from ml_data_platform.config import ConfigError, settings_from_context

ACCOUNT = "111111111111"
AT = "ml-data-platform.environments.prod"
ZONES = "['raw', 'curated', 'analytics']"
NEEDS_BOTH = (
    "required when replication is set (the replica's bucket names and key ARN are built from "
    "the account and the home region)"
)
CONTEXT = {
    "ml-data-platform": {
        "project": "acme",
        "environments": {
            "prod": {
                "account": ACCOUNT,
                "region": "us-east-1",
                "datasets": [{"name": "events", "columns": [{"name": "id", "type": "string"}]}],
                "replication": {"region": "us-west-2", "zones": ["curated", "raw"]},
            }
        },
    }
}


def with_replication(replication, **environment):
    """CONTEXT with ``replication`` replaced and environment keys set (``None`` removes one)."""
    context = copy.deepcopy(CONTEXT)
    prod = context["ml-data-platform"]["environments"]["prod"]
    prod.update(environment)
    prod["replication"] = replication
    for key, value in environment.items():
        if value is None:
            del prod[key]
    return context


def error_of(context):
    with pytest.raises(ConfigError) as raised:
        settings_from_context(context, "prod")
    return str(raised.value)


def test_replication_settings_are_read_in_zone_order():
    settings = settings_from_context(CONTEXT, "prod")
    assert settings.replication.region == "us-west-2"
    assert settings.replication.zones == ("raw", "curated")
    assert settings.replication.bucket_name(settings, "raw") == (
        f"acme-prod-raw-{ACCOUNT}-us-west-2"
    )
    assert settings.replication.key_alias(settings) == "alias/ml-data-platform/acme-prod/replica"
    # Everything else is read as without replication.
    assert (settings.account, settings.region) == (ACCOUNT, "us-east-1")
    assert [d.name for d in settings.datasets] == ["events"]


def test_every_zone_can_be_replicated():
    context = with_replication({"region": "eu-west-1", "zones": ["analytics", "raw", "curated"]})
    replication = settings_from_context(context, "prod").replication
    assert (replication.region, replication.zones) == ("eu-west-1", ("raw", "curated", "analytics"))


@pytest.mark.parametrize("absent", [None, "missing"])
def test_replication_is_off_by_default(absent):
    context = with_replication(None)
    if absent == "missing":
        del context["ml-data-platform"]["environments"]["prod"]["replication"]
    assert settings_from_context(context, "prod").replication is None


@pytest.mark.parametrize(
    ("replication", "environment", "message"),
    [
        (
            {"region": "us-east-1", "zones": ["raw"]},
            {},
            "replication.region: 'us-east-1' is the environment's own region; a "
            "disaster-recovery replica needs a second region",
        ),
        ({"zones": ["raw"]}, {}, "replication.region: missing required key"),
        ({"region": "us-west-2"}, {}, "replication.zones: missing required key"),
        (
            {"region": "us-west-2", "zones": ["raw", "gold"]},
            {},
            f"replication.zones[1]: 'gold' is not a zone ({ZONES})",
        ),
        (
            {"region": "us-west-2", "zones": [5]},
            {},
            f"replication.zones[0]: 5 is not a zone ({ZONES})",
        ),
        (
            {"region": "us-west-2", "zones": ["raw", "raw"]},
            {},
            "replication.zones[1]: 'raw' is repeated",
        ),
        (
            {"region": "us-west-2", "zones": ["curated", "raw", "curated"]},
            {},
            "replication.zones[2]: 'curated' is repeated",
        ),
        (
            {"region": "us-west-2", "zones": []},
            {},
            f"replication.zones: name at least one zone of {ZONES}",
        ),
        (
            {"region": "us-west-2", "zones": "raw"},
            {},
            "replication.zones: must be a list, got str 'raw'",
        ),
        (
            {"region": "us-west-2", "zones": ["raw"], "zone": ["curated"]},
            {},
            # 'zones' is given too, so it is not offered as the meaning of 'zone'
            "replication: unknown keys ['zone']; allowed: ['region', 'zones']",
        ),
        ("us-west-2", {}, "replication: must be an object, got str 'us-west-2'"),
        ({}, {}, "replication.region: missing required key"),
        ({"region": "us-west-2", "zones": ["raw"]}, {"account": None}, f"account: {NEEDS_BOTH}"),
        ({"region": "us-west-2", "zones": ["raw"]}, {"region": None}, f"region: {NEEDS_BOTH}"),
    ],
)
def test_bad_replication_names_the_key_path_the_value_and_the_rule(
    replication, environment, message
):
    assert error_of(with_replication(replication, **environment)) == f"{AT}.{message}"


def test_an_unknown_replica_region_is_refused_with_the_known_ones():
    message = error_of(with_replication({"region": "us-westt-2", "zones": ["raw"]}))
    assert message.startswith(
        f"{AT}.replication.region: 'us-westt-2' is not an AWS region known to aws-cdk-lib (a "
        "newer region needs a newer aws-cdk-lib); known: ['af-south-1', "
    )
    assert "'us-west-2']" in message


def with_project(project, zones):
    context = with_replication({"region": "ap-southeast-2", "zones": zones})
    context["ml-data-platform"]["project"] = project
    return context


def test_a_replica_bucket_name_of_64_characters_is_refused_at_the_zones_key():
    project = "project-" + "x" * 13  # 21 characters: the analytics replica's name has 64
    name = f"{project}-prod-analytics-{ACCOUNT}-ap-southeast-2"
    assert len(name) == 64
    assert error_of(with_project(project, ["raw", "analytics"])) == (
        f"{AT}.replication.zones: replica bucket name of zone 'analytics' {name!r} is not a "
        "valid S3 bucket name: must be 3–63 characters of lowercase letters, digits, '.' and "
        "'-', starting and ending with a letter or digit (shorten the project or environment "
        "name)"
    )


def test_a_replica_bucket_name_of_63_characters_is_accepted():
    project = "project-" + "x" * 12
    settings = settings_from_context(with_project(project, ["raw", "analytics"]), "prod")
    assert len(settings.replication.bucket_name(settings, "analytics")) == 63
    assert settings.replication.zones == ("raw", "analytics")
