"""Fetching http(s) URLs safely: every address checked, every redirect hop re-checked.

A host name is resolved once per hop, every address it resolves to must be public (unless
private ones are allowed), and the request is pinned to the checked address, so a DNS answer
that changes between the check and the connection cannot reach a private address. How names
resolve and which addresses are allowed is an `AddressPolicy`, the one seam tests replace.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.errors import BadDocument, FetchError, UnsupportedFormat
from bot.loaders.base import reason, too_big

log = logging.getLogger(__name__)

DEFAULT_FETCH_TIMEOUT = 20.0
MAX_REDIRECTS = 5
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Fetched:
    """A fetched body with its media type, declared charset and the URL finally fetched."""

    body: bytes
    media_type: str
    charset: str | None
    final_url: str


_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMAT_BY_CONTENT_TYPE = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    _DOCX_TYPE: "docx",
    "text/plain": "txt",
    "text/markdown": "md",
    "text/x-markdown": "md",
}
_GENERIC_CONTENT_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


def format_for(url: str, final_url: str, content_type: str, by_suffix: dict[str, str]) -> str:
    """The content type decides; a generic or missing one falls back to the URL's suffix."""
    fmt = FORMAT_BY_CONTENT_TYPE.get(content_type)
    if fmt is None and content_type in _GENERIC_CONTENT_TYPES:
        fmt = by_suffix.get(Path(httpx.URL(final_url).path).suffix.lower())
    if fmt is None:
        raise UnsupportedFormat(
            f"{url} is {content_type or 'of unknown type'}, which reportbot cannot read "
            "(it reads HTML, PDF, DOCX, Markdown and plain text)."
        )
    return fmt


@dataclass(frozen=True)
class _Hop:
    """One request, pinned to the address that was checked (no second DNS lookup)."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, Any]


def fetch(
    url: str, *, max_bytes: int, timeout: float, policy: AddressPolicy | None = None
) -> Fetched:
    """GET `url`, following redirects with each hop re-checked against `policy`."""
    policy = policy or AddressPolicy()
    deadline = time.monotonic() + timeout
    current = url
    headers = {"User-Agent": "reportbot (+document loader)", "Accept-Encoding": "identity"}
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, headers=headers
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            hop = _plan_hop(current, url, policy)
            try:
                with client.stream(
                    "GET", hop.url, headers=hop.headers, extensions=hop.extensions
                ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(f"{url} redirected without saying where to.")
                        current = str(httpx.URL(current).join(location))
                        log.debug("%s redirects to %s", url, current)
                        continue
                    if not response.is_success:
                        raise FetchError(
                            f"{url} returned HTTP {response.status_code} "
                            f"{response.reason_phrase}.".replace(" .", ".")
                        )
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise BadDocument(too_big(url, max_bytes, int(declared)))
                    body = _read_body(response, url, max_bytes, deadline, timeout)
                    content_type = response.headers.get("content-type", "")
                    media = content_type.split(";")[0].strip().lower()
                    return Fetched(body, media, response.charset_encoding, current)
            except httpx.TimeoutException:
                raise FetchError(f"{url} did not answer within {timeout:g} s.") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url} could not be fetched ({reason(exc)}).") from exc
            except (httpx.InvalidURL, UnicodeError) as exc:
                raise FetchError(f"{url} is not a valid URL ({reason(exc)}).") from exc
    raise FetchError(f"{url} redirected more than {MAX_REDIRECTS} times.")


def _read_body(
    response: httpx.Response, url: str, max_bytes: int, deadline: float, timeout: float
) -> bytes:
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise BadDocument(too_big(url, max_bytes))
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took longer than {timeout:g} s to download.")
        chunks.append(chunk)
    return b"".join(chunks)


def _plan_hop(current: str, original: str, policy: AddressPolicy) -> _Hop:
    """Check the scheme and every address the host resolves to, then pin the request to one.

    Pinning (connecting to the checked IP, with the real name in Host and TLS SNI) means a DNS
    answer that changes between the check and the connection cannot reach a private address.
    """
    where = original if current == original else f"{original} (redirected to {current})"
    try:
        target = httpx.URL(current)
        port = target.port
        host = target.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise FetchError(f"{where} is not a valid URL ({reason(exc)}).") from exc
    if target.scheme not in ("http", "https"):
        raise FetchError(
            f"{where}: only http and https URLs can be fetched, not {target.scheme or 'none'}."
        )
    if not host:
        raise FetchError(f"{where} has no host name.")
    if port is not None and not 0 < port < 65536:
        raise FetchError(f"{where} has an invalid port {port}.")
    addresses = policy.resolve(host)
    if not addresses:
        raise FetchError(f"{where}: the host {host} could not be resolved.")
    for address in addresses:
        if not policy.allows(address):
            raise FetchError(
                f"{where} points to a private or local address ({address}); refusing to fetch it."
            )
    extensions: dict[str, Any] = {}
    if target.scheme == "https":
        extensions["sni_hostname"] = host
    return _Hop(
        url=target.copy_with(host=str(addresses[0])),
        headers={"Host": target.netloc.decode("ascii")},
        extensions=extensions,
    )


def resolve(host: str) -> list[IPAddress]:
    """Every address `host` resolves to (IP literals, in any notation, resolve to themselves)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    addresses = []
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        except ValueError:
            continue
        if address not in addresses:
            addresses.append(address)
    return addresses


def is_public(address: IPAddress) -> bool:
    """False for private, loopback, link-local, multicast, reserved and other non-global ranges."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _allow_all(address: IPAddress) -> bool:
    return True


@dataclass(frozen=True)
class AddressPolicy:
    """How host names resolve, and which of the addresses found may be fetched."""

    resolve: Callable[[str], list[IPAddress]] = resolve
    allows: Callable[[IPAddress], bool] = is_public

    @classmethod
    def allowing_private(cls) -> AddressPolicy:
        return cls(allows=_allow_all)
