"""When and how long to retry a Graph or identity request that did not get through.

Throttling (429, 503) waits the Retry-After the server asked for; other transient
failures back off exponentially with jitter. Both are bounded by a number of
attempts in a row that got nothing through (a batch whose retries keep getting
some items through goes on) and by the total time spent waiting, after which the
caller reports the item as unknown or the tenant as failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_exponential,
    wait_random,
)
from tenacity.stop import stop_base

from reconciler.live.errors import LiveError, ServiceError, ThrottledError

logger = logging.getLogger(__name__)

# 429 and 503 are throttling; the others are the transient failures Graph
# documents. Reads and writes alike are retried: a PATCH sets absolute values, so
# sending it twice leaves the same state as sending it once.
THROTTLING_STATUSES = frozenset({429, 503})
RETRYABLE_STATUSES = THROTTLING_STATUSES | {500, 502, 504}


@dataclass(frozen=True)
class RetryPolicy:
    """How persistent a client is with a request that did not get through."""

    # Attempts in a row that get nothing through.
    attempts: int = 6
    # Total time spent waiting between attempts; a Retry-After that would go
    # past it ends the retries at once instead of stalling the tenant.
    budget_s: float = 60.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    # Tests pass a recorder here so that retries cost no time.
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


class RetryableFailure(Exception):
    """One attempt failed in a way that may clear; raised inside the retry loop."""

    def __init__(
        self,
        reason: str,
        *,
        throttled: bool = False,
        retry_after: float | None = None,
        final: LiveError | None = None,
        progress: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.throttled = throttled
        self.retry_after = retry_after
        # Part of the work got through (some items of a batch): the attempt
        # does not count against the attempts allowed.
        self.progress = progress
        # The error to raise if no attempt is left, when a more precise one than
        # "throttled" or "kept failing" is known (a refused connection).
        self.final = final

    def exhausted(self, what: str) -> LiveError:
        """The error that says this failure did not clear within the budget."""
        if self.final is not None:
            return self.final
        if self.throttled:
            return ThrottledError(
                f"{what} was throttled beyond the retry budget ({self.reason}); "
                "try again later or lower quota_per_minute"
            )
        return ServiceError(f"{what} kept failing ({self.reason}); try again later")


def retrying(policy: RetryPolicy, label: str) -> Retrying:
    """A tenacity loop retrying `RetryableFailure` under the policy.

    `label` starts each log line ("contoso: GET incidents").
    """
    return Retrying(
        retry=retry_if_exception_type(RetryableFailure),
        wait=_RetryAfterOrBackoff(policy),
        stop=_StopAfterStalledAttempts(policy.attempts)
        | _StopPastBudget(policy.budget_s),
        sleep=policy.sleep,
        before_sleep=lambda state: _log_retry(state, policy, label),
        reraise=True,
    )


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Seconds to wait for a Retry-After value: seconds, maybe fractional, or a date."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class _RetryAfterOrBackoff:
    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_exponential(
            multiplier=policy.backoff_initial_s, max=policy.backoff_max_s
        ) + wait_random(0, policy.backoff_initial_s)

    def __call__(self, state: RetryCallState) -> float:
        failure = _failure(state)
        if failure is not None and failure.retry_after is not None:
            return failure.retry_after
        return float(self._backoff(state))


class _StopAfterStalledAttempts(stop_base):
    """Stop after `attempts` attempts in a row that got nothing through."""

    def __init__(self, attempts: int) -> None:
        self._attempts = attempts
        self._stalled = 0

    def __call__(self, state: RetryCallState) -> bool:
        failure = _failure(state)
        self._stalled = (
            0 if failure is not None and failure.progress else self._stalled + 1
        )
        return self._stalled >= self._attempts


class _StopPastBudget(stop_base):
    def __init__(self, budget_s: float) -> None:
        self._budget_s = budget_s

    def __call__(self, state: RetryCallState) -> bool:
        return state.idle_for + state.upcoming_sleep > self._budget_s


def _failure(state: RetryCallState) -> RetryableFailure | None:
    if state.outcome is None:
        return None
    error = state.outcome.exception()
    return error if isinstance(error, RetryableFailure) else None


def _log_retry(state: RetryCallState, policy: RetryPolicy, label: str) -> None:
    failure = _failure(state)
    reason = failure.reason if failure is not None else "failed"
    logger.warning(
        "%s: %s; retrying in %.1f s (attempt %d of %d)",
        label,
        reason,
        state.upcoming_sleep,
        state.attempt_number + 1,
        policy.attempts,
    )
