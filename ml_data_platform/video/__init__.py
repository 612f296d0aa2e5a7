"""Video ingestion for ML: Kinesis Video Streams with retention, a customer key, grants and
alarms."""

from ml_data_platform.video.stream import VideoIngestStream, VideoStorageTier

__all__ = ["VideoIngestStream", "VideoStorageTier"]
