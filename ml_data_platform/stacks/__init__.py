"""Deployable stacks composed from the constructs."""

from ml_data_platform.stacks.storage_stack import StorageStack

__all__ = ["StorageStack"]
