"""The tasks a queue worker runs (`manage.py db_worker` under HYGATE_EMAIL_QUEUE=database)."""

from django.core.cache import cache
from django_tasks import task

from emailing import queue

# Every run looks for batches a dead worker left or that wait for a retry, at most once a
# minute between all processes. Without a worker (HYGATE_EMAIL_QUEUE=immediate) this is
# what retries them, with `manage.py purge_expired` from cron for a quiet site.
SWEEP_KEY = "hygate:email-queue:sweep"
SWEEP_EVERY = 60


@task()
def deliver_batch(batch_key: str) -> int:
    """Send the waiting mail of one batch; return how many were sent."""
    sent = queue.run(batch_key)
    if cache.add(SWEEP_KEY, 1, timeout=SWEEP_EVERY):
        queue.requeue_abandoned()
    return sent
