"""A local stand-in for the Telegram Bot API, strict about what Telegram rejects.

Runs an HTTP/1.1 server on 127.0.0.1 in its own thread and event loop, so the real
python-telegram-bot networking stack can talk to it through `base_url`. Tests push updates in and
read what the bot sent. It rejects, with Telegram's error shapes, what Telegram would reject:
message text over 4096 characters, HTML Telegram cannot parse (unknown tags or attributes,
unbalanced tags, unescaped `<`, `>` or `&`), callback data over 64 bytes, edits that change
nothing ("message is not modified"). Every rejection is recorded in `rejections`, so a test can
assert the bot never produced one.

Faults (429 with retry_after, 5xx, slow responses, dropped connections, answers that never come
in time) are injected *before* a request is processed, for a configurable share of requests (or
the first N of some methods): a request that failed was not carried out, which is what makes
"every question answered exactly once" a testable promise. With `extra_fields`, every object it
returns or delivers carries fields today's Bot API does not have, as a newer Telegram would.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import random
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from tornado.httputil import HTTPHeaders, parse_body_arguments

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200

_ALLOWED_TAGS: dict[str, set[str]] = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s>\"'<]+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


class TelegramReject(Exception):
    """A request Telegram would refuse: carries the error code and description."""

    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def tg_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_telegram_html(text: str) -> str:
    """The plain text of a Telegram HTML message; raises TelegramReject where Telegram would."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                raise TelegramReject(
                    f"Bad Request: can't parse entities: unsupported start tag at byte offset {i}"
                )
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
            if name not in _ALLOWED_TAGS:
                raise TelegramReject(
                    f'Bad Request: can\'t parse entities: unsupported start tag "{name}" at byte offset {i}'
                )
            if closing:
                if attrs.strip():
                    raise TelegramReject(
                        "Bad Request: can't parse entities: end tag with attributes"
                    )
                if not stack or stack[-1] != name:
                    raise TelegramReject(
                        f"Bad Request: can't parse entities: can't find end tag corresponding to start tag \"{stack[-1] if stack else name}\""
                    )
                stack.pop()
            else:
                _check_attributes(name, attrs)
                if name == "blockquote" and "blockquote" in stack:
                    raise TelegramReject("Bad Request: can't parse entities: nested blockquote")
                if (
                    stack
                    and stack[-1] in ("pre", "code")
                    and not (stack[-1] == "pre" and name == "code")
                ):
                    raise TelegramReject(
                        "Bad Request: can't parse entities: tags inside code/pre are not allowed"
                    )
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise TelegramReject(
                    f"Bad Request: can't parse entities: unsupported entity or unescaped & at byte offset {i}"
                )
            out.append(html.unescape(m.group(0)))
            i = m.end()
        elif ch == ">":
            raise TelegramReject(f"Bad Request: can't parse entities: unescaped > at offset {i}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise TelegramReject(
            f"Bad Request: can't parse entities: can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return "".join(out)


def _check_attributes(name: str, attrs: str) -> None:
    allowed = _ALLOWED_TAGS[name]
    for m in _ATTR.finditer(attrs):
        attr = m.group(1).lower()
        value = next((g for g in m.groups()[1:] if g is not None), "")
        if attr not in allowed:
            raise TelegramReject(
                f'Bad Request: can\'t parse entities: unsupported attribute "{attr}" in tag "{name}"'
            )
        if name == "a" and attr == "href":
            url = html.unescape(value)
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https", "tg") or not (parsed.netloc or parsed.path):
                raise TelegramReject("Bad Request: wrong HTTP URL")


def check_text(text: str | None, parse_mode: str | None, what: str = "message text") -> None:
    """Raise TelegramReject for text Telegram would refuse."""
    if text is None or text == "":
        raise TelegramReject(f"Bad Request: {what} is empty")
    plain = parse_telegram_html(text) if (parse_mode or "").upper() == "HTML" else text
    if not plain.strip():
        raise TelegramReject(f"Bad Request: {what} is empty")
    if tg_len(plain) > MAX_TEXT:
        raise TelegramReject(f"Bad Request: {what} is too long")


def check_markup(markup: Any) -> None:
    """Raise TelegramReject for an inline keyboard Telegram would refuse."""
    if markup is None:
        return
    rows = markup.get("inline_keyboard")
    if rows is None:
        return
    for row in rows:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise TelegramReject(
                    "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not (1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA):
                raise TelegramReject("Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and urlparse(url).scheme not in ("http", "https", "tg"):
                raise TelegramReject("Bad Request: BUTTON_URL_INVALID")


@dataclass
class Faults:
    """Which share of requests fail, and how. Faults hit before the request is carried out."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "502", "drop", "slow")  # also "timeout"
    methods: frozenset[str] | None = None  # None: every method except getUpdates and getMe
    retry_after: int = 1
    slow_seconds: float = 0.4
    timeout_seconds: float = 2.0  # "timeout": no answer for this long, then the line is cut
    count: int | None = None  # fail only the first `count` requests the faults apply to
    seed: int = 0

    def applies(self, method: str) -> bool:
        if self.methods is None:
            return method not in ("getUpdates", "getMe", "file")
        return method in self.methods


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    reply_to: int | None
    edits: list[str] = field(default_factory=list)

    def to_api(self, bot_user: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": bot_user,
            "text": parse_telegram_html(self.text)
            if (self.parse_mode or "").upper() == "HTML"
            else self.text,
        }
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup  # Telegram echoes inline keyboards only
        return data


class BotApiStub:
    """The Bot API on 127.0.0.1: push updates with `push_*`, read replies from `sent`."""

    def __init__(
        self,
        token: str = "123456:TEST-token-never-logged",
        *,
        username: str = "reportbot_test_bot",
        faults: Faults | None = None,
        extra_fields: bool = False,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.username = username
        self.faults = faults or Faults()
        self.extra_fields = extra_fields
        self.languages: dict[int, str] = {}  # user id -> Telegram language_code (default "en")
        self.profile: dict[tuple[str, str], str] = {}  # (description kind, language) -> text
        # One generator per method, so which faults a method meets does not depend on how its
        # requests interleave with other methods' (a shared one made the fault tests flaky).
        self._rngs: dict[str, random.Random] = {}
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "ReportBot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self._lock = threading.RLock()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._ids = itertools.count(1)
        self.updates: list[dict[str, Any]] = []
        self.sent: list[SentMessage] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rejections: list[tuple[str, str]] = []
        self.faults_injected: list[tuple[str, str]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.inline_answers: list[dict[str, Any]] = []
        self.chat_actions: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BotApiStub:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="botapi-stub", daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def __enter__(self) -> BotApiStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests push ---------------------------------------------------------------------

    def user(self, user_id: int, name: str = "Ada") -> dict[str, Any]:
        language = self.languages.get(user_id, "en")
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": language}

    def chat(self, chat_id: int, chat_type: str = "private") -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Ada"
        else:
            chat["title"] = "Newsroom"
        with self._lock:
            self.chats[chat_id] = chat
        return chat

    def _push(self, payload: dict[str, Any]) -> int:
        with self._lock:
            update_id = next(self._update_ids)
            self.updates.append({"update_id": update_id, **payload})
            return update_id

    def message_payload(
        self,
        text: str | None = None,
        *,
        user_id: int = 111,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to: SentMessage | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": self.user(user_id),
        }
        if text is not None:
            msg["text"] = text
            entities = []
            for m in re.finditer(r"(?:(?<=\s)|^)(/[a-z_]+(?:@\w+)?|@\w+)", text):
                kind = "bot_command" if m.group(1).startswith("/") else "mention"
                if kind == "bot_command" and m.start() != 0:
                    continue
                entities.append(
                    {
                        "type": kind,
                        "offset": tg_len(text[: m.start()]),
                        "length": tg_len(m.group(1)),
                    }
                )
            if entities:
                msg["entities"] = entities
        if reply_to is not None:
            msg["reply_to_message"] = reply_to.to_api(self.bot_user, self.chats[reply_to.chat_id])
        if extra:
            msg.update(extra)
        return msg

    def push_message(self, text: str | None = None, **kwargs: Any) -> int:
        """A new message from a user; commands and @mentions get entities like Telegram's."""
        return self._push({"message": self.message_payload(text, **kwargs)})

    def push_raw(self, payload: dict[str, Any]) -> int:
        """Any update body (edited messages, channel posts, unknown update types)."""
        return self._push(payload)

    def push_callback(self, message: SentMessage, data: str, *, user_id: int = 111) -> str:
        query_id = f"cq{next(self._ids)}"
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "message": message.to_api(self.bot_user, self.chats[message.chat_id]),
                    "chat_instance": "ci1",
                    "data": data,
                }
            }
        )
        return query_id

    def push_inline(self, query: str, *, user_id: int = 111) -> str:
        query_id = f"iq{next(self._ids)}"
        self._push(
            {
                "inline_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "query": query,
                    "offset": "",
                    "chat_type": "private",
                }
            }
        )
        return query_id

    def add_file(self, name: str, content: bytes, mime: str = "text/plain") -> dict[str, Any]:
        """Store a file the bot can fetch with getFile; returns a Telegram `Document`."""
        n = next(self._ids)
        file_id = f"FILE{n}"
        with self._lock:
            self.files[file_id] = (f"documents/file_{n}", content)
        return {
            "file_id": file_id,
            "file_unique_id": f"U{n}",
            "file_name": name,
            "mime_type": mime,
            "file_size": len(content),
        }

    # --- what tests read ---------------------------------------------------------------------

    def messages(self, chat_id: int | None = None) -> list[SentMessage]:
        with self._lock:
            return [m for m in self.sent if chat_id is None or m.chat_id == chat_id]

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    async def until(
        self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02
    ) -> Any:
        """Wait (asynchronously) until predicate() is truthy; return its value or fail."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
            await asyncio.sleep(interval)

    # --- HTTP --------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                verb, target, _ = request_line.decode("latin-1").split(" ", 2)
                headers = HTTPHeaders()
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    headers.parse_line(line.decode("latin-1"))
                body = await self._read_body(reader, headers)
                keep = await self._dispatch(verb, target, headers, body, writer)
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:  # the stub is shutting down
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_body(self, reader: asyncio.StreamReader, headers: HTTPHeaders) -> bytes:
        if headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await reader.readline()).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readline()
                    return body
                body += await reader.readexactly(size)
                await reader.readline()
        length = int(headers.get("Content-Length", "0") or 0)
        return await reader.readexactly(length) if length else b""

    async def _dispatch(
        self,
        verb: str,
        target: str,
        headers: HTTPHeaders,
        body: bytes,
        writer: asyncio.StreamWriter,
    ) -> bool:
        path = unquote(urlparse(target).path)
        m = re.match(r"^/(file/)?bot([^/]+)/(.+)$", path)
        if not m:
            await self._respond(
                writer, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
            return True
        is_file, token, rest = bool(m.group(1)), m.group(2), m.group(3)
        if token != self.token:
            await self._respond(
                writer, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return True
        method = "file" if is_file else rest
        fault = self._pick_fault(method)
        if fault == "drop":
            return False  # close the connection without an answer; nothing was done
        if fault == "timeout":
            await asyncio.sleep(self.faults.timeout_seconds)
            return False  # the client gave up long ago; nothing was done
        if fault in ("429", "500", "502"):
            code = int(fault)
            payload: dict[str, Any] = {"ok": False, "error_code": code}
            if code == 429:
                payload["description"] = f"Too Many Requests: retry after {self.faults.retry_after}"
                payload["parameters"] = {"retry_after": self.faults.retry_after}
            else:
                payload["description"] = "Internal Server Error" if code == 500 else "Bad Gateway"
            await self._respond(writer, code, payload)
            return True
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
        if is_file:
            await self._serve_file(rest, writer)
            return True
        params = self._params(headers, body)
        with self._lock:
            self.calls.append((method, params))
        try:
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise TelegramReject("Not Found: method not found", 404)
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except TelegramReject as exc:
            with self._lock:
                self.rejections.append((method, exc.description))
            await self._respond(
                writer,
                exc.code,
                {"ok": False, "error_code": exc.code, "description": exc.description},
            )
            return True
        if self.extra_fields:
            result = with_extra_fields(result)
        await self._respond(writer, 200, {"ok": True, "result": result})
        return True

    def _pick_fault(self, method: str) -> str | None:
        if not self.faults.rate or not self.faults.applies(method):
            return None
        with self._lock:
            if self.faults.count is not None and len(self.faults_injected) >= self.faults.count:
                return None
            rng = self._rngs.setdefault(method, random.Random(f"{self.faults.seed}:{method}"))
            if rng.random() >= self.faults.rate:
                return None
            kind = rng.choice(self.faults.kinds)
            self.faults_injected.append((method, kind))
            return kind

    @staticmethod
    def _params(headers: HTTPHeaders, body: bytes) -> dict[str, Any]:
        content_type = headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            return json.loads(body or b"{}")
        arguments: dict[str, list[bytes]] = {}
        files: dict[str, Any] = {}
        parse_body_arguments(content_type, body, arguments, files, headers)
        params: dict[str, Any] = {k: v[0].decode("utf-8") for k, v in arguments.items()}
        for key in (
            "reply_markup",
            "results",
            "commands",
            "allowed_updates",
            "reply_parameters",
            "link_preview_options",
            "entities",
            "scope",
        ):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _respond(self, writer: asyncio.StreamWriter, code: int, payload: Any) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        content_type = (
            "application/octet-stream" if isinstance(payload, bytes) else "application/json"
        )
        head = (
            f"HTTP/1.1 {code} X\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()

    async def _serve_file(self, path: str, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            content = next((c for p, c in self.files.values() if p == path), None)
        if content is None:
            await self._respond(
                writer, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
        else:
            await self._respond(writer, 200, content)

    # --- Bot API methods ---------------------------------------------------------------------

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        timeout = min(float(params.get("timeout", 0) or 0), 2.0)
        limit = int(params.get("limit", 100) or 100)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if offset:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                pending = self.updates[:limit]
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.01)

    def _chat_id(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError) as exc:
            raise TelegramReject("Bad Request: chat not found") from exc
        if chat_id not in self.chats:
            raise TelegramReject("Bad Request: chat not found")
        return chat_id

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        check_text(params.get("text"), params.get("parse_mode"))
        check_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}
        msg = SentMessage(
            chat_id=chat_id,
            message_id=next(self._message_ids),
            text=params["text"],
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
            reply_to=reply.get("message_id"),
        )
        with self._lock:
            self.sent.append(msg)
        return msg.to_api(self.bot_user, self.chats[chat_id])

    def _find(self, params: dict[str, Any]) -> SentMessage:
        chat_id = self._chat_id(params)
        message_id = int(params.get("message_id", 0))
        with self._lock:
            for msg in self.sent:
                if msg.chat_id == chat_id and msg.message_id == message_id:
                    return msg
        raise TelegramReject("Bad Request: message to edit not found")

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params)
        check_text(params.get("text"), params.get("parse_mode"))
        markup = params.get("reply_markup")
        check_markup(markup)
        if params["text"] == msg.text and markup == msg.reply_markup:
            raise TelegramReject(
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message"
            )
        with self._lock:
            msg.edits.append(msg.text)
            msg.text = params["text"]
            msg.parse_mode = params.get("parse_mode")
            msg.reply_markup = markup
        return msg.to_api(self.bot_user, self.chats[msg.chat_id])

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params)
        check_markup(params.get("reply_markup"))
        with self._lock:
            msg.reply_markup = params.get("reply_markup")
        return msg.to_api(self.bot_user, self.chats[msg.chat_id])

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        text = params.get("text") or ""
        if len(text) > MAX_CALLBACK_ANSWER:
            raise TelegramReject("Bad Request: MESSAGE_TOO_LONG")
        with self._lock:
            self.callback_answers.append(params)
        return True

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        results = params.get("results") or []
        if len(results) > 50:
            raise TelegramReject("Bad Request: RESULTS_TOO_MUCH")
        ids = [r.get("id", "") for r in results]
        if len(set(ids)) != len(ids) or any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise TelegramReject("Bad Request: RESULT_ID_INVALID")
        for r in results:
            content = r.get("input_message_content") or {}
            check_text(content.get("message_text"), content.get("parse_mode"))
            check_markup(r.get("reply_markup"))
            if not r.get("title"):
                raise TelegramReject("Bad Request: RESULT_TITLE_EMPTY")
        with self._lock:
            self.inline_answers.append(params)
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat_id(params)
        if params.get("action") not in {
            "typing",
            "upload_photo",
            "record_video",
            "upload_video",
            "record_voice",
            "upload_voice",
            "upload_document",
            "choose_sticker",
            "find_location",
            "record_video_note",
            "upload_video_note",
        }:
            raise TelegramReject("Bad Request: wrong parameter action in request")
        with self._lock:
            self.chat_actions.append(params)
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")):
                raise TelegramReject("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(c.get("description", "")) <= 256:
                raise TelegramReject("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            self.commands.append(params)
        return True

    def _api_setMyDescription(self, params: dict[str, Any]) -> bool:
        return self._set_profile("description", params, 512)

    def _api_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        return self._set_profile("short_description", params, 120)

    def _set_profile(self, kind: str, params: dict[str, Any], limit: int) -> bool:
        value = params.get(kind) or ""
        if len(value) > limit:
            raise TelegramReject(f"Bad Request: {kind.upper()}_INVALID")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise TelegramReject("Bad Request: LANG_CODE_INVALID")
        with self._lock:
            self.profile[(kind, language)] = value
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            return self.commands[-1]["commands"] if self.commands else []

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self.webhook = {}
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        if not str(params.get("url", "")).startswith("https://"):
            raise TelegramReject(
                "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        with self._lock:
            self.webhook = params
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params.get("file_id", "")
        with self._lock:
            if file_id not in self.files:
                raise TelegramReject("Bad Request: invalid file_id")
            path, content = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": "U" + file_id,
            "file_size": len(content),
            "file_path": path,
        }

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True


def with_extra_fields(value: Any) -> Any:
    """`value` with a field today's Bot API does not have added to every object in it."""
    if isinstance(value, dict):
        extra = {"x_future_field": {"nested": [1, "two"], "flag": True}}
        return {**{k: with_extra_fields(v) for k, v in value.items()}, **extra}
    if isinstance(value, list):
        return [with_extra_fields(v) for v in value]
    return value


def post_webhook(url: str, update: dict[str, Any], secret: str | None) -> int:
    """POST an update to the bot's webhook as Telegram would; the HTTP status it answered."""
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=json.dumps(update).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
