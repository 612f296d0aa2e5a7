"""Local stand-ins for AWS services (moto server) for tests and demos; needs the ``dev`` extra."""

from ml_data_platform.local.emulator import MotoServer

__all__ = ["MotoServer"]
