"""The old address of the queue's task, kept for rows a worker has not yet run.

The task is `emailing.queue.deliver_batch`; tasks queued before it moved there were stored
as `emailing.tasks.deliver_batch`, and a worker finds them here.
"""

from emailing.queue import deliver_batch

__all__ = ["deliver_batch"]
