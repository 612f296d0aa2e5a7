"""The built wheel works in another CDK app, outside this repository.

The wheel is built and installed into a throwaway directory; a CDK app there imports single
constructs from it (not from this checkout), synthesizes, and its template is checked.
"""

import json
import re
import subprocess
import sys
import textwrap
import zipfile

import pytest

from tests.conftest import ROOT

CONSUMER_APP = textwrap.dedent(
    """
    import json, sys
    import aws_cdk as cdk
    from aws_cdk import aws_kms as kms, aws_s3 as s3
    import ml_data_platform
    from ml_data_platform import (
        DataLakeBucket, IngestionStream, LakeDeliveryStream, PartitionLayout,
        enable_compliance_checks,
    )

    app = cdk.App(outdir=sys.argv[1])
    stack = cdk.Stack(app, "ConsumerApp")
    DataLakeBucket(stack, "Features")
    app_key = kms.Key(stack, "AppKey", enable_key_rotation=True)
    owned = s3.Bucket(stack, "OwnedBucket", enforce_ssl=True,   # the app's own bucket and key
                      encryption=s3.BucketEncryption.KMS, encryption_key=app_key)
    stream = IngestionStream(stack, "Events")
    LakeDeliveryStream(stack, "EventsToOwned", source_stream=stream, bucket=owned,
                       layout=PartitionLayout("events"))
    app.synth()
    print(json.dumps({"module": ml_data_platform.__file__}))
    """
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (work / "dist").glob("ml_data_platform-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(work / "site"),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return work, wheel


def test_wheel_ships_typing_marker_and_price_tables(installed):
    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "ml_data_platform/py.typed" in names
    assert "ml_data_platform/planning/prices/us-east-1.json" in names
    assert not any(name.startswith("tests/") for name in names)


def test_consumer_app_outside_the_repo_imports_and_synthesizes(installed):
    work, _ = installed
    app_dir = work / "consumer"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(CONSUMER_APP)
    out = app_dir / "cdk.out"
    env = {
        "PYTHONPATH": str(work / "site"),
        "CDK_VALIDATION": "false",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "app.py", str(out)],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    module = json.loads(result.stdout.strip().splitlines()[-1])["module"]
    assert module.startswith(str(work / "site")), module
    template = json.loads((out / "ConsumerApp.template.json").read_text())
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::S3::Bucket") == 3  # Features, its access-log bucket, the owned one
    assert types.count("AWS::Kinesis::Stream") == 1
    firehose = next(
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::KinesisFirehose::DeliveryStream"
    )
    destination = firehose["Properties"]["ExtendedS3DestinationConfiguration"]
    assert destination["BucketARN"]["Fn::GetAtt"][0].startswith("OwnedBucket")
    assert destination["Prefix"].startswith("events/year=!{timestamp:yyyy}/")


@pytest.mark.parametrize("page", ["README.md", "docs/use-in-your-cdk-app.md"])
def test_install_instructions_use_a_checkout_or_the_wheel(page):
    """The package is not on PyPI: `pip install ml-data-platform` would fail (or install
    someone else's package)."""
    text = (ROOT / page).read_text()
    assert not re.search(r"pip install ['\"]?ml-data-platform\b", text), page
    assert "pip install path/to/ml-data-platform" in text
    assert "pip install dist/ml_data_platform-*.whl" in text
