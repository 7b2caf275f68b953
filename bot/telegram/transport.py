"""The Bot API transport: retries for requests Telegram certainly did not carry out."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram.error import (
    NetworkError,
    TimedOut,
)
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
                log.warning("%s: %s; retrying (%d/%d)", endpoint, exc, attempt, self.attempts)
            except NetworkError as exc:
                if last:
                    raise
                log.warning("%s: %s; retrying (%d/%d)", endpoint, exc, attempt, self.attempts)
            else:
                if code < 500 or last:
                    return code, payload
                log.warning("%s: HTTP %d; retrying (%d/%d)", endpoint, code, attempt, self.attempts)
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")
