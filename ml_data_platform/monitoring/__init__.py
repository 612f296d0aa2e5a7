"""Platform monitoring: the alarm topic that every construct's alarms notify, and the alarm
settings they share (``monitoring.alarms``)."""

from ml_data_platform.monitoring.alarm_topic import AlarmTopic

__all__ = ["AlarmTopic"]
