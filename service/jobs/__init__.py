"""HTTP jobs: archives posted over HTTP, run on the batch engine, stored durably, with webhooks."""

from service.jobs.manager import JobManager
from service.jobs.store import Job, JobStore

__all__ = ["Job", "JobManager", "JobStore"]
