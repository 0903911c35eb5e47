#!/usr/bin/python3
"""Reference echo server for validating the conformance suite.

Implements the ws_echo_server contract (README.md) with the `websockets`
library's Sans-I/O protocol core (websockets.connection.Connection, 10.x) for
WebSocket framing, and a small asyncio HTTP/1.1 layer written here for the
HTTP routes and the opening handshake.

Run with /usr/bin/python3 (the Debian python3-websockets package):
    PORT=0 PORT_FILE=/tmp/port /usr/bin/python3 reference_echo_server.py
"""

import asyncio
import base64
import binascii
import codecs
import hashlib
import os
import re
import struct
import sys

from websockets.connection import SEND_EOF, Connection, Side, State
from websockets.frames import Frame, Opcode

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


HOST = os.environ.get("HOST", "0.0.0.0")
PORT = env_int("PORT", 8082)
PORT_FILE = os.environ.get("PORT_FILE", "")
WS_MAX = env_int("WS_MAX_MESSAGE_BYTES", 1048576)
WS_HANDSHAKE_TIMEOUT = env_int("WS_HANDSHAKE_TIMEOUT_MS", 10000) / 1000
WS_CLOSE_TIMEOUT = env_int("WS_CLOSE_TIMEOUT_MS", 5000) / 1000
HTTP_MAX_HEADER = env_int("HTTP_MAX_HEADER_BYTES", 16384)
HTTP_MAX_BODY = env_int("HTTP_MAX_BODY_BYTES", 16 * 1024 * 1024)
HTTP_HEADER_TIMEOUT = env_int("HTTP_HEADER_TIMEOUT_MS", 10000) / 1000
HTTP_REQUEST_TIMEOUT = env_int("HTTP_REQUEST_TIMEOUT_MS", 60000) / 1000
HTTP_IDLE_TIMEOUT = env_int("HTTP_IDLE_TIMEOUT_MS", 120000) / 1000

# Deliberate bugs, for checking that the suite detects them (see README.md,
# "Validating the suite"): REFERENCE_FAULTS=name[,name...].
FAULTS = set(filter(None, os.environ.get("REFERENCE_FAULTS", "").split(",")))
KNOWN_FAULTS = {
    "no_utf8",            # no UTF-8 validation of text messages
    "no_cors",            # no Access-Control-Allow-Origin header
    "echo_fragments",     # echo each fragment as it arrives instead of one frame
    "extra_pong",         # answer every ping twice
    "no_limit",           # ignore WS_MAX_MESSAGE_BYTES
    "reset_header_timer", # header timeout restarts on every received byte
    "wrong_accept",       # corrupt Sec-WebSocket-Accept
    "close_1000",         # fail connections with 1000 instead of 1002/1007/1009
    "no_keepalive",       # close after every response
    "head_body",          # send the body on HEAD
    "no_chunked",         # ignore chunked request bodies
    "ignore_conn_close",  # keep the connection open despite "Connection: close"
    "never_close_tcp",    # never close TCP after the closing handshake
    "drop_pipelined",     # drop bytes received beyond the current request
    "no_handshake_checks",  # upgrade any request with Upgrade: websocket
    "no_body_limit",      # ignore HTTP_MAX_BODY_BYTES
}
assert FAULTS <= KNOWN_FAULTS, FAULTS - KNOWN_FAULTS

TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
REQUEST_LINE = re.compile(rb"^(" + TOKEN + rb") (\S+) HTTP/1\.([01])$")
HEADER_LINE = re.compile(rb"^(" + TOKEN + rb"):[ \t]*(.*?)[ \t]*$")
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
           426: "Upgrade Required", 431: "Request Header Fields Too Large"}


class HttpError(Exception):
    def __init__(self, status, extra_headers=()):
        super().__init__(status)
        self.status = status
        self.extra_headers = list(extra_headers)


class Closed(Exception):
    pass


class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.buf = bytearray()

    async def fill(self, timeout):
        data = await asyncio.wait_for(self.reader.read(65536), timeout)
        if not data:
            raise Closed()
        self.buf += data

    async def read_head(self):
        """Read one request head (without the final CRLFCRLF)."""
        loop = asyncio.get_running_loop()
        if not self.buf:
            await self.fill(HTTP_IDLE_TIMEOUT)
        deadline = loop.time() + min(HTTP_HEADER_TIMEOUT, WS_HANDSHAKE_TIMEOUT)
        while True:
            if "reset_header_timer" in FAULTS:
                deadline = loop.time() + min(HTTP_HEADER_TIMEOUT, WS_HANDSHAKE_TIMEOUT)
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                if i + 4 > HTTP_MAX_HEADER:
                    raise HttpError(431)
                head = bytes(self.buf[:i])
                del self.buf[:i + 4]
                return head
            if len(self.buf) > HTTP_MAX_HEADER:
                line_end = self.buf.find(b"\r\n")
                raise HttpError(414 if line_end < 0 or line_end > HTTP_MAX_HEADER else 431)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise asyncio.TimeoutError()
            await self.fill(remaining)

    async def read_exact(self, n):
        while len(self.buf) < n:
            await self.fill(HTTP_REQUEST_TIMEOUT)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    async def read_line(self, limit=8192):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            if len(self.buf) > limit:
                raise HttpError(400)
            await self.fill(HTTP_REQUEST_TIMEOUT)

    async def respond(self, status, body=b"", headers=(), head_only=False, close=False):
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        if "no_cors" not in FAULTS:
            lines.append("Access-Control-Allow-Origin: *")
        names = {k.lower() for k, _ in headers}
        lines += [f"{k}: {v}" for k, v in headers]
        if status != 101 and "content-length" not in names:
            lines.append(f"Content-Length: {len(body)}")
        if close:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not head_only or "head_body" in FAULTS:
            data += body
        self.writer.write(data)
        await self.writer.drain()


def parse_head(head):
    lines = head.split(b"\r\n")
    m = REQUEST_LINE.match(lines[0])
    if not m:
        raise HttpError(400)
    method, target, minor = m.group(1).decode(), m.group(2).decode("latin-1"), m.group(3)
    headers = []
    for line in lines[1:]:
        hm = HEADER_LINE.match(line)
        if not hm:
            raise HttpError(400)
        headers.append((hm.group(1).decode().lower(), hm.group(2).decode("latin-1")))
    return method, target, minor == b"1", headers


def get(headers, name):
    vals = [v for k, v in headers if k == name]
    return vals[-1] if vals else None


def tokens(headers, name):
    return [t.strip().lower() for k, v in headers if k == name for t in v.split(",") if t.strip()]


async def read_body(conn, headers):
    if "chunked" in tokens(headers, "transfer-encoding") and "no_chunked" not in FAULTS:
        body = bytearray()
        while True:
            line = await conn.read_line()
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise HttpError(400)
            if not re.fullmatch(rb"[0-9A-Fa-f]+", size_text):
                raise HttpError(400)
            if size == 0:
                while await conn.read_line() != b"":
                    pass
                return bytes(body)
            if len(body) + size > HTTP_MAX_BODY and "no_body_limit" not in FAULTS:
                raise HttpError(413)
            body += await conn.read_exact(size)
            if await conn.read_exact(2) != b"\r\n":
                raise HttpError(400)
    cl = get(headers, "content-length")
    if cl is None:
        return b""
    if not cl.isdigit():
        raise HttpError(400)
    n = int(cl)
    if n > HTTP_MAX_BODY and "no_body_limit" not in FAULTS:
        raise HttpError(413)
    return await conn.read_exact(n)


async def handle(reader, writer):
    conn = Conn(reader, writer)
    try:
        while True:
            try:
                head = await conn.read_head()
            except asyncio.TimeoutError:
                if conn.buf:
                    await conn.respond(408, close=True)
                return
            method, target, http11, headers = parse_head(head)
            if "websocket" in tokens(headers, "upgrade"):
                await websocket(conn, method, headers)
                return
            body = await read_body(conn, headers)
            close = "close" in tokens(headers, "connection") or (
                not http11 and "keep-alive" not in tokens(headers, "connection"))
            if "ignore_conn_close" in FAULTS:
                close = False
            if "no_keepalive" in FAULTS:
                close = True
            if "drop_pipelined" in FAULTS:
                conn.buf.clear()
            path = target.split("?", 1)[0]
            if method == "OPTIONS":
                await conn.respond(200, b"OK", [("Content-Type", "text/plain")], close=close)
            elif path == "/" and method in ("GET", "HEAD"):
                await conn.respond(200, b"ok", [("Content-Type", "text/plain")],
                                   head_only=method == "HEAD", close=close)
            elif path == "/echo" and method == "POST":
                ct = get(headers, "content-type") or "application/octet-stream"
                await conn.respond(200, body, [("Content-Type", ct)], close=close)
            else:
                await conn.respond(404, b"not found", [("Content-Type", "text/plain")],
                                   head_only=method == "HEAD", close=close)
            if close:
                return
    except HttpError as e:
        try:
            await conn.respond(e.status, REASONS.get(e.status, "").encode(), e.extra_headers, close=True)
        except (ConnectionError, OSError):
            pass
    except (Closed, ConnectionError, OSError, asyncio.TimeoutError):
        pass
    finally:
        await lingering_close(writer, reader)


async def lingering_close(writer, reader, timeout=1.0):
    """Half-close, drain what the client still sends (so the kernel does not
    turn the close into a RST that could destroy our last response), close."""
    try:
        if writer.can_write_eof() and not writer.transport.is_closing():
            writer.write_eof()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            data = await asyncio.wait_for(reader.read(65536), deadline - loop.time())
            if not data:
                break
    except (asyncio.TimeoutError, ConnectionError, OSError, RuntimeError):
        pass
    writer.close()


async def websocket(conn, method, headers):
    if "no_handshake_checks" in FAULTS:
        key = get(headers, "sec-websocket-key") or ""
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        await WsSession(conn).run()
        return
    if method != "GET":
        raise HttpError(400)
    if "upgrade" not in tokens(headers, "connection"):
        raise HttpError(400)
    if get(headers, "sec-websocket-version") != "13":
        raise HttpError(426, [("Sec-WebSocket-Version", "13")])
    key = get(headers, "sec-websocket-key")
    try:
        raw = base64.b64decode(key or "", validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 16:
        raise HttpError(400)
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    if "wrong_accept" in FAULTS:
        accept = accept[::-1]
    conn.writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode())
    await WsSession(conn).run()


def frame_end(buf):
    """Total size of the first frame in buf, or None if its header is incomplete."""
    if len(buf) < 2:
        return None
    n = buf[1] & 0x7F
    pos = 2
    if n == 126:
        if len(buf) < 4:
            return None
        n = struct.unpack("!H", buf[2:4])[0]
        pos = 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n = struct.unpack("!Q", buf[2:10])[0]
        pos = 10
    if buf[1] & 0x80:
        pos += 4
    return pos + n


class WsSession:
    def __init__(self, conn):
        self.conn = conn
        self.ws = Connection(Side.SERVER, State.OPEN, max_size=None if "no_limit" in FAULTS else WS_MAX)
        if "close_1000" in FAULTS:
            ws = self.ws
            ws.fail = lambda code, reason="": Connection.fail(ws, 1000 if code != 1006 else code, reason)
        self.pending = bytearray(conn.buf)
        conn.buf.clear()
        self.left = 0          # bytes still to feed of the current frame
        self.msg_op = None
        self.parts = []
        self.decoder = None
        self.eof_sent = False

    def events(self):
        for frame in self.ws.events_received():
            if self.ws.state is not State.OPEN:
                continue
            if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                self.msg_op, self.parts = frame.opcode, []
                self.decoder = codecs.getincrementaldecoder("utf-8")() if frame.opcode is Opcode.TEXT else None
            elif frame.opcode is not Opcode.CONT:
                if frame.opcode is Opcode.PING and "extra_pong" in FAULTS:
                    self.ws.send_pong(frame.data)
                continue
            self.parts.append(frame.data)
            if self.decoder is not None and "no_utf8" not in FAULTS:
                try:
                    self.decoder.decode(frame.data, final=frame.fin)
                except UnicodeDecodeError:
                    self.ws.fail(1007, "invalid UTF-8")
                    continue
            if "echo_fragments" in FAULTS and not frame.fin:
                self.ws.send_frame(Frame(self.msg_op if len(self.parts) == 1 else Opcode.CONT,
                                         frame.data, fin=False))
                continue
            if "echo_fragments" in FAULTS and len(self.parts) > 1:
                self.ws.send_frame(Frame(Opcode.CONT, frame.data))
                self.parts = []
                continue
            if frame.fin:
                data = b"".join(self.parts)
                self.parts = []
                if self.msg_op is Opcode.TEXT:
                    self.ws.send_text(data)
                else:
                    self.ws.send_binary(data)

    def feed(self, data):
        """Feed the protocol one frame at a time so that echoes of frames that
        precede a protocol error are sent before the Close."""
        self.pending += data
        while self.pending:
            if self.ws.parser_exc is not None or self.ws.state is not State.OPEN:
                self.ws.receive_data(bytes(self.pending))
                self.pending.clear()
                break
            if self.left == 0:
                n = frame_end(self.pending)
                if n is None:
                    break
                self.left = n
            k = min(self.left, len(self.pending))
            self.ws.receive_data(bytes(self.pending[:k]))
            del self.pending[:k]
            self.left -= k
            self.events()

    async def flush(self):
        for data in self.ws.data_to_send():
            if data == SEND_EOF:
                if "never_close_tcp" in FAULTS:
                    continue
                if not self.eof_sent:
                    self.eof_sent = True
                    if self.conn.writer.can_write_eof():
                        self.conn.writer.write_eof()
            else:
                self.conn.writer.write(data)
        await self.conn.writer.drain()

    async def run(self):
        loop = asyncio.get_running_loop()
        self.feed(b"")
        await self.flush()
        close_deadline = None
        while True:
            if self.ws.state is not State.OPEN and close_deadline is None:
                close_deadline = loop.time() + WS_CLOSE_TIMEOUT
            timeout = None if close_deadline is None else max(0.0, close_deadline - loop.time())
            try:
                data = await asyncio.wait_for(self.conn.reader.read(65536), timeout)
            except asyncio.TimeoutError:
                if "never_close_tcp" in FAULTS:
                    await asyncio.sleep(3600)
                return
            if not data:
                try:
                    self.ws.receive_eof()
                except Exception:
                    pass
                await self.flush()
                return
            self.feed(data)
            await self.flush()


async def main():
    srv = await asyncio.start_server(handle, HOST, PORT, limit=1 << 20)
    port = srv.sockets[0].getsockname()[1]
    if PORT_FILE:
        tmp = PORT_FILE + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, PORT_FILE)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
