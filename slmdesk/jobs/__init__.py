"""The only bridge from Qt to the core: runs task generators off the GUI thread, one queue per resource."""

from slmdesk.jobs.runner import Job, JobRunner, JobState

__all__ = ["Job", "JobRunner", "JobState"]
