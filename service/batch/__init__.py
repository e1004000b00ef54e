"""Archive batch translation: record readers/writers, the resumable runner, the Ray engine."""

from service.batch.runner import BatchOptions, run_batch

__all__ = ["BatchOptions", "run_batch"]
