"""The package root: every public name resolves, loads lazily, and is documented."""

import subprocess
import sys

import ml_data_platform
from tests.conftest import ROOT

DOCS = "\n".join(p.read_text() for p in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])


def test_every_exported_name_resolves_to_an_object_of_that_name():
    for name in ml_data_platform.__all__:
        value = getattr(ml_data_platform, name)
        if name != "__version__":
            assert getattr(value, "__name__", name) == name


def test_unknown_names_raise_attribute_error():
    try:
        ml_data_platform.NoSuchConstruct  # noqa: B018
    except AttributeError as error:
        assert "has no attribute 'NoSuchConstruct'" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_every_public_class_is_listed_in_the_docs():
    classes = [
        n for n in ml_data_platform.__all__ if isinstance(getattr(ml_data_platform, n), type)
    ]
    missing = [name for name in classes if f"`{name}" not in DOCS]
    assert not missing


def test_importing_one_construct_does_not_load_the_other_domains():
    code = (
        "import sys; from ml_data_platform import DataLakeBucket; "
        "print(sorted(m for m in sys.modules if m.split('.')[:2] == ['ml_data_platform', 'warehouse'] "
        "or m.startswith('ml_data_platform.stacks')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
