"""The Bot API transport: retries for requests Telegram certainly did not carry out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import (
    NetworkError,
    TimedOut,
)
from telegram.ext import AIORateLimiter
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)


log = logging.getLogger(__name__)


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries requests Telegram certainly did not carry out.

    Retried: 5xx answers, connections refused or dropped before an answer, connect and pool
    timeouts. Not retried: read timeouts (Telegram may have sent the message; a retry could
    duplicate it) and 429, which `AIORateLimiter` handles the way PTB documents.
    """

    def __init__(self, *args: Any, attempts: int = 6, backoff: float = 0.2, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attempts = attempts
        self.backoff = backoff

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`; retries with exponential backoff."""
        endpoint = url.rsplit("/", 1)[-1]  # never log `url`: it holds the token
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                code, payload = await super().do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except TimedOut as exc:
                unsent = isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
                if last or not unsent:
                    raise
                log.info("%s: %s; retrying (%d/%d)", endpoint, exc, attempt, self.attempts)
            except NetworkError as exc:
                if last:
                    raise
                log.info("%s: %s; retrying (%d/%d)", endpoint, exc, attempt, self.attempts)
            else:
                if code < 500 or last:
                    return code, payload
                log.info("%s: HTTP %d; retrying (%d/%d)", endpoint, code, attempt, self.attempts)
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


# The bot's profile: decoration, set in the background at start-up (see `app.set_profile`).
PROFILE_ENDPOINTS = frozenset({"setMyCommands", "setMyDescription", "setMyShortDescription"})


class FloodLimiter(AIORateLimiter):
    """PTB's `AIORateLimiter` (pacing, and retries after a 429 with `retry_after`) for every
    request except the profile calls: a 429 on those is reported once by their caller instead
    of being retried while logged as an error, and they never hold up answers."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """See `BaseRateLimiter.process_request`."""
        if endpoint in PROFILE_ENDPOINTS:
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
