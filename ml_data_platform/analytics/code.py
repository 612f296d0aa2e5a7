"""``FlinkCode``: where a PyFlink application's code comes from, and how the service runs it.

A Python application on Managed Service for Apache Flink is a ZIP file in S3 holding the entry
point, optional extra Python files and **one** dependency jar (the connectors; bundle them into
one). The property group ``kinesis.analytics.flink.run.options`` tells the service which file
is which (``python``, ``jarfile``, ``pyFiles``).
Source: https://docs.aws.amazon.com/managed-flink/latest/java/how-python-creating.html
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from ml_data_platform.core.inputs import Kind, reject_string, require_kind
from ml_data_platform.core.kms import kms_statement

RUN_OPTIONS_GROUP = "kinesis.analytics.flink.run.options"
"""The property group the service reads to start a Python application."""
JAR_FOLDER = "lib"
"""Where ``from_asset`` puts a jar given from outside the code folder, inside the ZIP."""
_NOT_CODE = ("__pycache__", "*.pyc", ".pytest_cache")
_RELATIVE_PATH = re.compile(r"^[A-Za-z0-9_.\-/]+$")


@dataclass(frozen=True)
class BoundCode:
    """The code's location and run options, once bound to a scope."""

    bucket: s3.IBucket
    key: str
    object_version: str | None
    run_options: dict[str, str]

    def read_statements(self) -> list[iam.PolicyStatement]:
        """``s3:GetObject(Version)`` on exactly the code object, and decrypt through S3 when
        the bucket has a customer-managed key."""
        statements = [
            iam.PolicyStatement(
                sid="ReadCode",
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[self.bucket.arn_for_objects(self.key)],
            )
        ]
        key = self.bucket.encryption_key
        if key is not None:
            statements.append(
                kms_statement(
                    sid="DecryptCode",
                    actions=["kms:Decrypt"],
                    key=key,
                    service="s3",
                    stack=cdk.Stack.of(self.bucket),
                )
            )
        return statements


class FlinkCode:
    """The code of a PyFlink application: a local folder (shipped as a ZIP asset) or a ZIP
    already in S3. Build with :meth:`from_asset` or :meth:`from_bucket`.

    Attributes:
        entry_point: The Python file the service runs (``python`` run option).
        jar_file: The dependency jar inside the ZIP (``jarfile``), or None.
        py_files: Further Python files (``pyFiles``).
    """

    def __init__(
        self,
        *,
        entry_point: str,
        jar_file: str | None,
        py_files: Sequence[str],
        folder: Path | None = None,
        outside_jar: Path | None = None,
        bucket: s3.IBucket | None = None,
        key: str | None = None,
        object_version: str | None = None,
    ) -> None:
        self.entry_point = entry_point
        self.jar_file = jar_file
        self.py_files = tuple(py_files)
        self._folder = folder
        self._outside_jar = outside_jar
        self._bucket = bucket
        self._key = key
        self._object_version = object_version

    @staticmethod
    def from_asset(
        path: str | Path,
        *,
        entry_point: str = "main.py",
        jar: str | Path | None = None,
        py_files: Sequence[str] = (),
    ) -> FlinkCode:
        """The folder ``path`` zipped as a CDK asset.

        Args:
            path: The code folder; it must contain ``entry_point`` and each of ``py_files``.
            entry_point: The Python file the service runs, relative to the folder.
                Default: ``main.py``.
            jar: The dependency jar: a path relative to the folder, or a file anywhere (it is
                then copied into the ZIP as ``lib/<file name>``). Default: none (a job that
                needs no connector outside Flink itself).
            py_files: Further Python files or folders for ``pyFiles``, relative to the folder.
                Default: none.
        """
        folder = Path(path)
        if not folder.is_dir():
            raise ValueError(f"FlinkCode.from_asset: path {str(folder)!r} is not a folder")
        entry = _relative(entry_point, "entry_point")
        if not (folder / entry).is_file():
            raise ValueError(
                f"FlinkCode.from_asset: entry_point {entry!r} is not a file in {str(folder)!r}"
            )
        reject_string(py_files, "py_files", "paths")
        extra = [_relative(file, "py_files") for file in py_files]
        for file in extra:
            if not (folder / file).exists():
                raise ValueError(
                    f"FlinkCode.from_asset: py_files entry {file!r} is not in {folder}"
                )
        jar_file, outside = None, None
        if jar is not None:
            inside = folder / jar
            if not Path(jar).is_absolute() and inside.is_file():
                jar_file = _relative(str(jar), "jar")
            elif Path(jar).is_file():
                outside = Path(jar).resolve()
                jar_file = f"{JAR_FOLDER}/{outside.name}"
            else:
                raise ValueError(
                    f"FlinkCode.from_asset: jar {str(jar)!r} is not a file (relative to "
                    f"{str(folder)!r} or anywhere); build the connector jar first "
                    "(make flink-jar builds the platform's)"
                )
            if not jar_file.endswith(".jar"):
                raise ValueError(f"FlinkCode.from_asset: jar {str(jar)!r} must be a .jar file")
        return FlinkCode(
            entry_point=entry, jar_file=jar_file, py_files=extra, folder=folder, outside_jar=outside
        )

    @staticmethod
    def from_bucket(
        bucket: s3.IBucket,
        key: str,
        *,
        entry_point: str = "main.py",
        jar_file: str | None = None,
        py_files: Sequence[str] = (),
        object_version: str | None = None,
    ) -> FlinkCode:
        """A ZIP already in S3 (e.g. built by your CI).

        Args:
            bucket: The bucket holding the ZIP. key: Its object key (ends with ``.zip``).
            entry_point: The Python file inside the ZIP. Default: ``main.py``.
            jar_file: The dependency jar inside the ZIP. Default: none.
            py_files: Further Python files inside the ZIP. Default: none.
            object_version: Pin one version of a versioned object. Default: the latest.
        """
        require_kind(bucket, Kind.BUCKET, "bucket")
        if not isinstance(key, str) or not key.endswith(".zip"):
            raise ValueError(f"FlinkCode.from_bucket: key must name a .zip object, got {key!r}")
        reject_string(py_files, "py_files", "paths")
        return FlinkCode(
            entry_point=_relative(entry_point, "entry_point"),
            jar_file=None if jar_file is None else _relative(jar_file, "jar_file"),
            py_files=[_relative(file, "py_files") for file in py_files],
            bucket=bucket,
            key=key,
            object_version=object_version,
        )

    def bind(self, scope: Construct) -> BoundCode:
        """The code's location (creating the asset under ``scope`` for a folder) and the run
        options. The caller grants read with :meth:`BoundCode.read_statements`."""
        run_options = {"python": self.entry_point}
        if self.jar_file:
            run_options["jarfile"] = self.jar_file
        if self.py_files:
            run_options["pyFiles"] = ",".join(self.py_files)
        if self._folder is None:
            assert self._bucket is not None and self._key is not None
            return BoundCode(self._bucket, self._key, self._object_version, run_options)
        asset = s3_assets.Asset(
            scope, "Code", path=str(self._staged_folder()), exclude=list(_NOT_CODE)
        )
        return BoundCode(asset.bucket, asset.s3_object_key, None, run_options)

    def _staged_folder(self) -> Path:
        """The code folder, with an outside jar copied into ``lib/`` (in a temporary folder
        named after the content, so the asset hash stays stable)."""
        assert self._folder is not None
        if self._outside_jar is None:
            return self._folder
        digest = hashlib.sha256(
            f"{self._folder.resolve()}:{self._outside_jar}:"
            f"{self._outside_jar.stat().st_mtime_ns}".encode()
        ).hexdigest()[:16]
        staged = Path(tempfile.gettempdir()) / f"ml-data-platform-flink-{digest}"
        if not staged.exists():
            work = Path(tempfile.mkdtemp(prefix="ml-data-platform-flink-"))
            shutil.copytree(
                self._folder,
                work / "code",
                ignore=shutil.ignore_patterns(*_NOT_CODE),
            )
            (work / "code" / JAR_FOLDER).mkdir(exist_ok=True)
            shutil.copy2(self._outside_jar, work / "code" / JAR_FOLDER / self._outside_jar.name)
            try:
                (work / "code").rename(staged)
            except OSError:  # another process staged it first
                shutil.rmtree(work, ignore_errors=True)
        return staged


def _relative(path: str, prop: str) -> str:
    """``path`` if it is a relative path inside the ZIP (no ``..``, no leading ``/``)."""
    if not isinstance(path, str) or not _RELATIVE_PATH.match(path):
        raise ValueError(
            f"{prop} {path!r} must be a relative path of letters, digits, '_', '.', '-' and '/'"
        )
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ValueError(f"{prop} {path!r} must stay inside the code folder (no '..', no '/')")
    return str(pure)
