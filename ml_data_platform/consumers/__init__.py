"""Consumers of the platform: ML roles that read the lake and query Athena."""

from ml_data_platform.consumers.ml_consumer import MlConsumer

__all__ = ["MlConsumer"]
