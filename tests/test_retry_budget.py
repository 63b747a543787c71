"""Server errors are retried with backoff within the budget, even late in it: a 5xx that comes
after rate-limit waits have used most of the budget still gets a retry (it used to get none)."""

from __future__ import annotations

import random

from archiver.collectors.ratelimit import RetryBudget


def test_server_error_late_in_the_budget_is_still_retried() -> None:
    waits: list[float] = []
    budget = RetryBudget(max_total_wait=5.0, sleep=waits.append, rng=random.Random(1))
    assert budget.wait_for(retry_after=4.4)  # a rate limit used most of the budget
    budget.reset_attempts()
    assert budget.wait_for()  # a 5xx: 1 s of backoff does not fit, the remaining 0.6 s does
    assert 0.5 < waits[-1] <= 0.6 + 1e-9
    assert budget.waited <= 5.0
    assert not budget.wait_for()  # now the budget is spent


def test_backoff_grows_and_never_exceeds_the_budget() -> None:
    waits: list[float] = []
    budget = RetryBudget(max_total_wait=5.0, sleep=waits.append, rng=random.Random(2))
    while budget.wait_for():
        pass
    assert len(waits) >= 3 and waits[0] < waits[1]  # exponential, then whatever is left
    assert 5.0 - 0.05 <= sum(waits) <= 5.0 + 1e-9
