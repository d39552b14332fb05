"""Background work's own bookkeeping: the base task every Celery task of the project uses
(idempotent work, retried with backoff) and the record of a task that failed for good."""
