"""Sending Graph requests for one tenant: token, budget, retries and errors.

Every request carries a bearer token, takes its weight from the tenant's budget
before it leaves (a `$batch` of k items weighs k), and asks for evolvable enum
members. Failures that may clear are retried under the retry policy; in a
`$batch`, only the items that failed are sent again, in a new batch.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.config import ENV_GRAPH_URL
from reconciler.desired.models import TenantSpec
from reconciler.live.auth import TokenSource
from reconciler.live.errors import (
    AuthenticationError,
    GraphError,
    LiveError,
    NotFoundError,
    PermissionDeniedError,
)
from reconciler.live.http import transport_failure
from reconciler.live.quota import Quota
from reconciler.live.resources import Resource
from reconciler.live.retrying import (
    RETRYABLE_STATUSES,
    THROTTLING_STATUSES,
    RetryableFailure,
    RetryPolicy,
    parse_retry_after,
    retrying,
)

logger = logging.getLogger(__name__)

# Without it Graph hides enum members added after unknownFutureValue, and an
# incident awaiting Defender Experts would read as unknownFutureValue.
PREFER = "include-unknown-enum-members"
MAX_BATCH = 20
GRAPH_SETTING = f"{ENV_GRAPH_URL} or cloud.graph_url"
# Graph's error messages are for developers; keep them short in ours.
MESSAGE_LIMIT = 300


@dataclass
class Tally:
    """Request units one operation spent, for its log line."""

    requests: int = 0


@dataclass(frozen=True)
class Reply:
    """Graph's final answer to one request of a batch.

    Status 0 means no answer arrived; `reason` then says why.
    """

    status: int
    body: Any
    retry_after: float | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.reason:
            return self.reason
        if self.status == 0:
            return "no answer"
        code, message = graph_error(self.body)
        detail = f"{code}: {message}" if code and message else code or message
        return f"HTTP {self.status} {detail}".strip()


class Sender:
    """Sends one tenant's Graph requests; safe to share between threads."""

    def __init__(
        self,
        spec: TenantSpec,
        *,
        http: httpx.Client,
        graph_url: str,
        tokens: TokenSource,
        quota: Quota,
        retry: RetryPolicy,
    ) -> None:
        self.spec = spec
        self.graph_url = graph_url
        self._http = http
        self._origin = _origin(graph_url)
        self._tokens = tokens
        self._quota = quota
        self._retry = retry
        self._lock = threading.Lock()
        self._requests = 0

    def __repr__(self) -> str:
        return f"Sender(tenant={self.spec.slug!r})"

    @property
    def requests_made(self) -> int:
        with self._lock:
            return self._requests

    @property
    def batch_size(self) -> int:
        return min(MAX_BATCH, self._quota.largest_take)

    def is_own(self, url: str) -> bool:
        """Whether a URL Graph handed us points back at the same Graph."""
        return _origin(url) == self._origin

    def get_json(
        self,
        url: str,
        *,
        resource: Resource,
        what: str,
        tally: Tally,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """GET one JSON object, retrying what may clear; raises `LiveError`."""

        def attempt() -> httpx.Response:
            response = self._send("GET", url, weight=1, tally=tally, params=params)
            if response.status_code in RETRYABLE_STATUSES:
                raise _retryable(
                    response.status_code, _json(response), response.headers
                )
            return response

        try:
            response = retrying(self._retry, f"{self.spec.slug}: {what}")(attempt)
        except RetryableFailure as failure:
            raise failure.exhausted(f"{what} in tenant {self.spec.slug}") from None

        body = _json(response)
        if response.status_code != 200:
            raise self.status_error(
                Reply(status=response.status_code, body=body), resource, what
            )
        if not isinstance(body, dict):
            raise GraphError(
                f"Graph answered {what} in tenant {self.spec.slug} with something "
                "other than a JSON object; check that "
                f"{self.graph_url} is Microsoft Graph ({GRAPH_SETTING})"
            )
        return body

    def batch(
        self,
        requests: Mapping[str, dict[str, Any]],
        *,
        what: str,
        tally: Tally,
    ) -> dict[str, Reply]:
        """Send up to `batch_size` requests as one `$batch`; the final reply of each.

        Items answered 429/5xx (or not at all) are sent again, in a new batch,
        while the retry budget lasts; after that their last reply is final.
        Raises `LiveError` when no item got an answer and the tenant cannot be
        reached (sign-in, TLS, connection) or the batch itself was refused.
        """
        pending = dict(requests)
        final: dict[str, Reply] = {}
        last: dict[str, Reply] = {}

        def attempt() -> None:
            envelope = {"requests": list(pending.values())}
            response = self._send(
                "POST",
                f"{self.graph_url}/$batch",
                weight=len(pending),
                tally=tally,
                body=envelope,
            )
            body = _json(response)
            if response.status_code in RETRYABLE_STATUSES:
                raise _retryable(response.status_code, body, response.headers)
            if response.status_code != 200:
                raise self.status_error(
                    Reply(status=response.status_code, body=body), None, what
                )
            replies = parse_batch_replies(body)
            waiting = len(pending)
            for request_id in list(pending):
                reply = replies.get(request_id) or Reply(
                    status=0, body=None, reason="missing from Graph's batch answer"
                )
                if reply.status == 0 or reply.status in RETRYABLE_STATUSES:
                    last[request_id] = reply
                    continue
                final[request_id] = reply
                del pending[request_id]
            if pending:
                raise _batch_retryable(
                    [last[request_id] for request_id in pending],
                    progress=len(pending) < waiting,
                )

        try:
            retrying(self._retry, f"{self.spec.slug}: {what}")(attempt)
        except RetryableFailure as failure:
            if failure.final is not None:
                self._give_up(pending, final, failure.final)
                return final
            for request_id in pending:
                reply = last.get(request_id) or Reply(
                    status=0, body=None, reason=failure.reason
                )
                final[request_id] = _exhausted(reply)
        except LiveError as error:
            self._give_up(pending, final, error)
        return final

    @staticmethod
    def _give_up(
        pending: Mapping[str, object], final: dict[str, Reply], error: LiveError
    ) -> None:
        """Raise `error` if no item got an answer, else make it the pending replies.

        Answers already received must not be lost: they may be writes that
        happened.
        """
        if not final:
            raise error
        for request_id in pending:
            final[request_id] = Reply(status=0, body=None, reason=str(error))

    def status_error(
        self, reply: Reply, resource: Resource | None, what: str
    ) -> LiveError:
        """The error for a non-retryable, non-success answer."""
        spec = self.spec
        if reply.status == 403 and resource is not None:
            return self.permission_error(resource, reply)
        if reply.status == 401:
            return AuthenticationError(
                f"Graph refused the token issued for tenant {spec.slug} "
                f"({reply.describe()}); check that the authority host and "
                f"{GRAPH_SETTING} belong to the same cloud"
            )
        if reply.status == 404:
            return NotFoundError(
                f"Graph found nothing for {what} in tenant {spec.slug} "
                f"({reply.describe()}); check that {GRAPH_SETTING} is Graph's "
                "v1.0 URL"
            )
        return GraphError(
            f"Graph refused {what} in tenant {spec.slug} ({reply.describe()})"
        )

    def permission_error(
        self, resource: Resource, reply: Reply
    ) -> PermissionDeniedError:
        spec = self.spec
        return PermissionDeniedError(
            f"application {spec.client_id} may not use {resource.plural} in tenant "
            f"{spec.slug} ({reply.describe()}); give it the application permission "
            f"{resource.permission} and have an administrator of the tenant consent "
            f"at {self._tokens.consent_url}"
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        weight: int,
        tally: Tally,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        response = self._send_once(method, url, weight, tally, params, body)
        if response.status_code != 401:
            return response
        # A token can be revoked or rotated before it expires; a fresh one gets
        # one more try, a second refusal is final.
        self._tokens.discard()
        return self._send_once(method, url, weight, tally, params, body)

    def _send_once(
        self,
        method: str,
        url: str,
        weight: int,
        tally: Tally,
        params: Mapping[str, str] | None,
        body: Any,
    ) -> httpx.Response:
        token = self._tokens.token()
        self._quota.take(weight)
        with self._lock:
            self._requests += weight
        tally.requests += weight
        headers = {
            "Authorization": f"Bearer {token}",
            "Prefer": PREFER,
            "client-request-id": str(uuid.uuid4()),
        }
        try:
            response = self._http.request(
                method, url, params=params, json=body, headers=headers
            )
        except httpx.TransportError as error:
            raise transport_failure(
                error, url=self.graph_url, setting=GRAPH_SETTING
            ) from error
        logger.debug(
            "%s: %s %s%s -> %d%s",
            self.spec.slug,
            method,
            urlsplit(url).path,
            f" ({weight} item{'s' if weight != 1 else ''})" if body is not None else "",
            response.status_code,
            # What Microsoft support asks for when a request went wrong.
            f" (request-id {response.headers.get('request-id', '?')})"
            if response.status_code >= 400
            else "",
        )
        return response


def batch_request(
    request_id: str,
    method: str,
    path: str,
    body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One item of a `$batch`, with the headers Graph requires of it."""
    headers = {"Prefer": PREFER}
    request: dict[str, Any] = {"id": request_id, "method": method, "url": path}
    if body is not None:
        headers["Content-Type"] = "application/json"
        request["body"] = dict(body)
    request["headers"] = headers
    return request


def parse_batch_replies(body: Any) -> dict[str, Reply]:
    """Graph's `$batch` answer as replies by request id (answers come in any order)."""
    responses = body.get("responses") if isinstance(body, dict) else None
    if not isinstance(responses, list):
        raise RetryableFailure("Graph's batch answer has no responses")
    replies: dict[str, Reply] = {}
    for response in responses:
        if not isinstance(response, dict):
            continue
        request_id = response.get("id")
        status = response.get("status")
        if not isinstance(request_id, str) or not isinstance(status, int):
            continue
        headers = response.get("headers")
        retry_after = None
        if isinstance(headers, dict):
            retry_after = parse_retry_after(_header(headers, "retry-after"))
        replies[request_id] = Reply(
            status=status, body=response.get("body"), retry_after=retry_after
        )
    return replies


def graph_error(body: Any) -> tuple[str, str]:
    """The code and message of Graph's error body, shortened; empty when absent."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    code = error.get("code")
    message = error.get("message")
    return (
        code if isinstance(code, str) else "",
        message[:MESSAGE_LIMIT] if isinstance(message, str) else "",
    )


def _retryable(status: int, body: Any, headers: Mapping[str, str]) -> RetryableFailure:
    reply = Reply(
        status=status,
        body=body,
        retry_after=parse_retry_after(headers.get("retry-after")),
    )
    return RetryableFailure(
        reply.describe(),
        throttled=status in THROTTLING_STATUSES,
        retry_after=reply.retry_after,
    )


def _batch_retryable(replies: list[Reply], *, progress: bool) -> RetryableFailure:
    waits = [reply.retry_after for reply in replies if reply.retry_after is not None]
    throttled = any(reply.status in THROTTLING_STATUSES for reply in replies)
    return RetryableFailure(
        f"{len(replies)} batch items got no final answer ({replies[0].describe()})",
        throttled=throttled,
        # Graph's advice: resend the failed items after the longest Retry-After.
        retry_after=max(waits) if waits else None,
        progress=progress,
    )


def _exhausted(reply: Reply) -> Reply:
    if reply.status in THROTTLING_STATUSES:
        reason = f"throttled beyond the retry budget ({reply.describe()})"
    else:
        reason = f"kept failing beyond the retry budget ({reply.describe()})"
    return Reply(status=reply.status, body=reply.body, reason=reason)


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            return str(value)
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
