"""assert_matches_snapshot: a missing snapshot fails unless UPDATE_SNAPSHOTS=1 writes it."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

import tests.conftest as helpers
from tests.conftest import assert_matches_snapshot, make_app


@pytest.fixture
def template():
    stack = cdk.Stack(make_app(), "Snap")
    sns.Topic(stack, "Topic")
    return Template.from_stack(stack)


@pytest.fixture
def snapshots(tmp_path, monkeypatch):
    monkeypatch.setattr(helpers, "SNAPSHOT_DIR", tmp_path)
    monkeypatch.setattr(helpers, "UPDATE_SNAPSHOTS", False)
    return tmp_path


def test_a_missing_snapshot_fails_and_is_not_written(template, snapshots):
    with pytest.raises(pytest.fail.Exception, match=r"snapshot snap\.json is missing.*"):
        assert_matches_snapshot("snap", template)
    assert not (snapshots / "snap.json").exists()


def test_update_snapshots_writes_it_and_then_it_matches(template, snapshots, monkeypatch):
    monkeypatch.setattr(helpers, "UPDATE_SNAPSHOTS", True)
    assert_matches_snapshot("snap", template)
    assert "AWS::SNS::Topic" in (snapshots / "snap.json").read_text()
    monkeypatch.setattr(helpers, "UPDATE_SNAPSHOTS", False)
    assert_matches_snapshot("snap", template)


def test_a_changed_template_fails(template, snapshots):
    (snapshots / "snap.json").write_text('{"Resources": {}}\n')
    with pytest.raises(AssertionError, match=r"snap\.json differs"):
        assert_matches_snapshot("snap", template)
