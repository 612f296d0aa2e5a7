"""Event-driven hooks on the lake's S3 events: start SageMaker pipelines on new objects, and
make finished archive restores visible."""

from ml_data_platform.events.pipeline_trigger import ObjectCreatedPipelineTrigger
from ml_data_platform.events.restore_completed import RestoreCompletedNotification

__all__ = ["ObjectCreatedPipelineTrigger", "RestoreCompletedNotification"]
