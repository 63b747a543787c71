"""Bounded waiting for rate limits and transient server errors.

Both SDKs leave retries to us (atproto never retries; tweepy's own wait loops forever when a 429
lacks its reset header), so every collector waits through one ``RetryBudget``: it honours the
platform's reset time, adds jitter, caps each wait and the total, and then says "give up", after
which the source is reported incomplete for this run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MIN_RETRY_WAIT = 0.05  # seconds: below this the budget is spent


@dataclass
class RetryBudget:
    max_total_wait: float = 900.0
    max_single_wait: float = 300.0
    max_attempts: int = 8
    base_backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    waited: float = 0.0
    attempts: int = 0

    def reset_attempts(self) -> None:
        """Call after a success: the attempt bound is per request, the time bound per source."""
        self.attempts = 0

    def wait_for(self, reset_at: float | None = None, retry_after: float | None = None) -> bool:
        """Sleep until the limit resets (or a jittered backoff when no time is given).

        Returns False, without sleeping, when the wait would exceed the bounds: the caller must
        stop and report the source incomplete.
        """
        self.attempts += 1
        if self.attempts > self.max_attempts:
            return False
        if retry_after is not None:
            delay = max(0.0, retry_after)
        elif reset_at is not None:
            delay = max(0.0, reset_at - self.clock()) + 1.0
        else:
            delay = self.base_backoff * 2 ** (self.attempts - 1)
        delay = delay * (1.0 + 0.1 * self.rng.random())
        remaining = self.max_total_wait - self.waited
        if retry_after is None and reset_at is None:
            # A server error has no reset time: back off as far as the budget still allows, so a
            # 5xx late in the budget is still retried instead of given up after 0 retries.
            delay = min(delay, remaining, self.max_single_wait)
            if delay < MIN_RETRY_WAIT:
                return False
        if delay > self.max_single_wait or self.waited + delay > self.max_total_wait:
            return False
        self.sleep(delay)
        self.waited += delay
        return True
