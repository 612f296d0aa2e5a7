"""A user's stack with LakeDeliveryStream passes cfn-lint without W7001: the construct itself
removes the L2's unreferenced Firehose CIDR mapping (not only IngestionStack)."""

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk

from ml_data_platform import DataLakeBucket, IngestionStream, LakeDeliveryStream, PartitionLayout
from tests.conftest import ROOT, make_app

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def test_a_user_stack_with_two_deliveries_has_no_mapping_and_lints_clean(tmp_path):
    app = make_app()
    stack = cdk.Stack(app, "Analytics")  # env-agnostic, as in the README quick start
    bucket = DataLakeBucket(stack, "Events")
    for name in ("clicks", "views"):
        LakeDeliveryStream(
            stack,
            f"{name}ToLake",
            source_stream=IngestionStream(stack, name),
            bucket=bucket.bucket,
            layout=PartitionLayout(name),
        )
    template = app.synth().get_stack_by_name("Analytics").template
    assert "Mappings" not in template
    path = tmp_path / "Analytics.template.json"
    path.write_text(json.dumps(template))
    result = subprocess.run(
        [str(CFN_LINT), "--config-file", str(ROOT / ".cfnlintrc.yaml"), "--", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "W7001" not in result.stdout
