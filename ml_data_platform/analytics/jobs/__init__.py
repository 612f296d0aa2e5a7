"""PyFlink jobs shipped with the platform (each folder is a job's code, zipped as it is)."""

from pathlib import Path

STREAMING_FEATURES = Path(__file__).resolve().parent / "streaming_features"
"""The reference streaming-features job's folder (entry point ``main.py``)."""
