"""How repeated wrong passwords slow a login down and finally lock the account.

One policy for both counters: the per-account one kept in the store
(``login_failures``) and the per-client one the server keeps in memory.  Every
attempt counts as a failure from the moment it starts (a correct password then
clears the count), so a burst of parallel guesses cannot slip past the limit.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

#: Failures in a row after which each further attempt must wait (429).
BACKOFF_AFTER = 5
#: Failures in a row after which the account is locked until an admin unlocks it (423).
LOCK_AFTER = 20
#: The wait after the ``BACKOFF_AFTER``-th failure; it doubles with each further one.
FIRST_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(minutes=15)


def backoff(failures: int) -> timedelta:
    """How long to wait after ``failures`` failures in a row before the next attempt."""
    if failures < BACKOFF_AFTER:
        return timedelta(0)
    return min(FIRST_BACKOFF * 2 ** min(failures - BACKOFF_AFTER, 20), MAX_BACKOFF)


def retry_after(failures: int, last_failure: datetime | None, now: datetime) -> int:
    """Whole seconds until the next attempt is allowed (0: allowed now).

    Before ``BACKOFF_AFTER`` failures there is no wait, also when a concurrent
    attempt stamped ``last_failure`` a moment after this one read its clock.
    """
    if last_failure is None or failures < BACKOFF_AFTER:
        return 0
    left = (last_failure + backoff(failures) - now).total_seconds()
    return max(0, math.ceil(left))


def wait_in_words(seconds: int) -> str:
    """``37 秒`` or ``15 分钟``: the wait as a person reads it."""
    return f"{seconds} 秒" if seconds < 120 else f"{math.ceil(seconds / 60)} 分钟"
