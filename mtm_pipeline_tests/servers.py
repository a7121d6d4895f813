"""Real loopback servers for tests: an HTTP receiver and a minimal SMTP server (stdlib only).

with http_receiver() as hook:          # hook.url, hook.requests
    ...
with smtp_receiver() as smtp:          # smtp.host, smtp.port, smtp.messages, smtp.envelopes
    ...
url = closed_port_url()                # nothing listens there: connection refused
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpReceiver:
    url: str
    status: int = 200
    requests: list[RecordedRequest] = field(default_factory=list)


@contextmanager
def http_receiver(status: int = 200, response_body: bytes = b"ok") -> Iterator[HttpReceiver]:
    """A ThreadingHTTPServer on 127.0.0.1 (free port) recording every request; answers `status`."""
    lock = threading.Lock()
    receiver: HttpReceiver

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                receiver.requests.append(
                    RecordedRequest(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
                )
            self.send_response(receiver.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(response_body)))
            self.end_headers()
            self.wfile.write(response_body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    receiver = HttpReceiver(url=f"http://{host}:{port}", status=status)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="http-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url(path: str = "/hook") -> str:
    """An http URL on 127.0.0.1 where nothing listens (the port was bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port = sock.getsockname()[1]
    return f"http://{LOOPBACK}:{port}{path}"


# --- SMTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    auth_user: str | None
    data: bytes


@dataclass
class SmtpReceiver:
    host: str
    port: int
    credentials: tuple[str, str] | None = None
    messages: list[Message] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    auth_attempts: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted)


def _address(arg: str) -> str:
    """'FROM:<a@b> SIZE=10' -> 'a@b'."""
    value = arg.split(":", 1)[1].strip() if ":" in arg else arg.strip()
    if value.startswith("<"):
        value = value[1 : value.index(">")] if ">" in value else value[1:]
    return value.split()[0] if value else value


class _SmtpServer(socketserver.ThreadingTCPServer):
    """The listening socket; carries what every session shares (receiver, lock, echo_auth)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[_SmtpSession], echo_auth: bool) -> None:
        super().__init__((LOOPBACK, 0), handler)
        self.lock = threading.Lock()
        self.echo_auth = echo_auth
        self.receiver: SmtpReceiver


class _SmtpSession(socketserver.StreamRequestHandler):
    """One SMTP conversation: reads command lines and answers each with a `verb_<name>` method.

    A verb method returns False when the conversation is over (QUIT or the client went away).
    """

    timeout = 30
    server: _SmtpServer

    @property
    def receiver(self) -> SmtpReceiver:
        return self.server.receiver

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def readline(self) -> bytes | None:
        line = self.rfile.readline(65536)
        return line or None

    def echo(self, code: str) -> None:
        self.wfile.write(code.encode("ascii") + b" " + self.auth_line + b" (" + self.decoded + b")\r\n")
        self.wfile.flush()

    def check_plain(self, b64: str) -> bool:
        self.auth_line = b"AUTH PLAIN " + b64.encode("ascii", "replace")
        try:
            self.decoded = base64.b64decode(b64, validate=True)
        except ValueError:
            self.decoded = b""
        try:
            _authzid, user, password = base64.b64decode(b64, validate=True).split(b"\0", 2)
            user_s, password_s = user.decode(), password.decode()
        except ValueError:
            self.reply("501 5.5.2 cannot decode AUTH PLAIN response")
            return False
        accepted = self.receiver.credentials is None or self.receiver.credentials == (user_s, password_s)
        with self.server.lock:
            self.receiver.auth_attempts.append((user_s, accepted))
        if accepted:
            self.auth_user = user_s
            self.reply("235 2.7.0 Authentication successful")
        elif self.server.echo_auth:
            self.echo("535 5.7.8 Authentication credentials invalid:")
        else:
            self.reply("535 5.7.8 Authentication credentials invalid")
        return accepted

    def handle(self) -> None:
        self.auth_user: str | None = None
        self.mail_from: str | None = None
        self.rcpts: list[str] = []
        self.reply("220 localhost test ESMTP")
        while (raw := self.readline()) is not None:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            answer = getattr(self, f"verb_{verb.upper()}", None)
            if answer is None:
                self.reply("502 5.5.2 command not implemented")
            elif not answer(arg):
                return

    def verb_EHLO(self, arg: str) -> bool:
        self.wfile.write(b"250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN\r\n")
        self.wfile.flush()
        return True

    def verb_HELO(self, arg: str) -> bool:
        self.reply("250 localhost")
        return True

    def verb_AUTH(self, arg: str) -> bool:
        mechanism, _, initial = arg.partition(" ")
        if mechanism.upper() != "PLAIN":
            self.reply("504 5.5.4 only AUTH PLAIN")
            return True
        if not initial:
            self.reply("334 ")
            follow = self.readline()
            if follow is None:
                return False
            initial = follow.decode("ascii", "replace").strip()
        self.check_plain(initial)
        return True

    def verb_MAIL(self, arg: str) -> bool:
        if self.server.echo_auth and self.auth_user is not None:
            self.echo("550 5.7.1 sender refused in the session of")
        elif self.receiver.credentials is not None and self.auth_user is None:
            self.reply("530 5.7.0 Authentication required")
        else:
            self.mail_from, self.rcpts = _address(arg), []
            self.reply("250 2.1.0 OK")
        return True

    def verb_RCPT(self, arg: str) -> bool:
        if self.mail_from is None:
            self.reply("503 5.5.1 MAIL first")
        else:
            self.rcpts.append(_address(arg))
            self.reply("250 2.1.5 OK")
        return True

    def verb_DATA(self, arg: str) -> bool:
        if self.mail_from is None or not self.rcpts:
            self.reply("503 5.5.1 MAIL and RCPT first")
            return True
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        data = self.read_data()
        if data is None:
            return False
        message = email.message_from_bytes(data, policy=email.policy.default)
        with self.server.lock:
            self.receiver.envelopes.append(Envelope(self.mail_from, list(self.rcpts), self.auth_user, data))
            self.receiver.messages.append(message)
        self.mail_from, self.rcpts = None, []
        self.reply("250 2.0.0 OK: queued")
        return True

    def read_data(self) -> bytes | None:
        """The message after DATA up to the lone '.', dot-unstuffed; None if the client went away."""
        chunks: list[bytes] = []
        while True:
            data_line = self.readline()
            if data_line is None:
                return None
            if data_line.rstrip(b"\r\n") == b".":
                return b"".join(chunks)
            if data_line.startswith(b".."):
                data_line = data_line[1:]
            chunks.append(data_line)

    def verb_RSET(self, arg: str) -> bool:
        self.mail_from, self.rcpts = None, []
        self.reply("250 2.0.0 OK")
        return True

    def verb_NOOP(self, arg: str) -> bool:
        self.reply("250 2.0.0 OK")
        return True

    def verb_QUIT(self, arg: str) -> bool:
        self.reply("221 2.0.0 Bye")
        return False


@contextmanager
def smtp_receiver(
    credentials: tuple[str, str] | None = None, *, echo_auth: bool = False
) -> Iterator[SmtpReceiver]:
    """A minimal real SMTP server on 127.0.0.1 (free port): EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA,
    RSET, NOOP, QUIT. No STARTTLS. With `credentials`, AUTH must match them and is required for MAIL.
    Each accepted message is parsed (email.policy.default) into `.messages`.
    With `echo_auth` the server is indiscreet: a refused login's reply quotes the AUTH line and the
    credentials it decoded (raw UTF-8 bytes), and after a login every MAIL is refused quoting them too.
    """
    server = _SmtpServer(_SmtpSession, echo_auth)
    host, port = server.server_address[:2]
    server.receiver = SmtpReceiver(host=host, port=port, credentials=credentials)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="smtp-receiver", daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
