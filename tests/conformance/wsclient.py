"""Raw WebSocket client: a minimal RFC 6455 frame builder and a strict reader.

Used wherever a test must send malformed traffic or check exact bytes
(close codes, frame boundaries, ordering). Everything the server sends is
checked strictly: frames must be unmasked, RSV bits clear, opcodes known,
lengths minimally encoded, control frames final and <= 125 bytes.
"""

import base64
import hashlib
import os
import socket
import struct
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
OP_NAMES = {0: "CONT", 1: "TEXT", 2: "BINARY", 8: "CLOSE", 9: "PING", 10: "PONG"}

RSV1, RSV2, RSV3 = 0x4, 0x2, 0x1

TIMEOUT = 5.0          # default socket timeout: a broken server fails, never hangs
CLOSE_TCP_TIMEOUT = 3.0  # after the closing handshake the server must close TCP promptly


def accept_for(key):
    """Sec-WebSocket-Accept expected for Sec-WebSocket-Key `key`."""
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def new_key():
    return base64.b64encode(os.urandom(16)).decode("ascii")


def mask_bytes(data, key):
    if not data:
        return b""
    n = len(data)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def build_frame(opcode, payload=b"", *, fin=True, rsv=0, mask=True, mask_key=None,
                length=None, length_form=None):
    """Encode one frame as a client would (masked by default).

    rsv: 3-bit value, RSV1=4, RSV2=2, RSV3=1.
    length: value written in the length field (defaults to len(payload)).
    length_form: force 7, 16 or 64-bit length encoding (default: minimal).
    """
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    payload = bytes(payload)
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    mbit = 0x80 if mask else 0
    form = length_form
    if form is None:
        form = 7 if n <= 125 else (16 if n <= 0xFFFF else 64)
    if form == 7:
        head = struct.pack("!BB", b0, mbit | n)
    elif form == 16:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return head + key + mask_bytes(payload, key)


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    return struct.pack("!H", code) + reason


class Frame:
    __slots__ = ("fin", "rsv", "opcode", "payload")

    def __init__(self, fin, rsv, opcode, payload):
        self.fin, self.rsv, self.opcode, self.payload = fin, rsv, opcode, payload

    def close_code(self):
        if len(self.payload) >= 2:
            return struct.unpack("!H", self.payload[:2])[0]
        return None

    def __repr__(self):
        p = self.payload
        shown = repr(p[:40]) + (f"...({len(p)} bytes)" if len(p) > 40 else "")
        return (f"Frame({OP_NAMES.get(self.opcode, hex(self.opcode))}, fin={int(self.fin)}, "
                f"rsv={self.rsv}, payload={shown})")


class ServerClosed(AssertionError):
    """The server closed (or reset) the TCP connection where a frame was expected."""


def _hexdump(data, limit=64):
    d = bytes(data[:limit]).hex(" ")
    return d + (" ..." if len(data) > limit else "")


class RawConn:
    """A TCP connection with a receive buffer; base for HTTP and WebSocket use."""

    def __init__(self, port, host="127.0.0.1", timeout=TIMEOUT, nodelay=True):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if nodelay:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()
        self.eof = False
        self.reset = False
        self.send_failed = False

    # -- sending ---------------------------------------------------------
    def send(self, data, chunk=None, delay=0.0, tolerate=False):
        """Send bytes, optionally in `chunk`-byte writes with `delay` between.

        With tolerate=True, a broken pipe / reset while sending is recorded in
        self.send_failed instead of raised (for tests where the server may
        legitimately fail the connection before all data has been written).
        """
        data = bytes(data)
        try:
            if not chunk:
                self.sock.sendall(data)
            else:
                for i in range(0, len(data), chunk):
                    self.sock.sendall(data[i:i + chunk])
                    if delay:
                        time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            self.send_failed = True
            if not tolerate:
                raise
        except socket.timeout:
            self.send_failed = True
            if not tolerate:
                raise AssertionError("send blocked for %.1f s: server stopped reading" % self.timeout)

    # -- receiving -------------------------------------------------------
    def _fill(self, deadline):
        """Read more bytes into buf. Returns False at EOF/reset."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(262144)
        except ConnectionResetError:
            self.eof = True
            self.reset = True
            return False
        finally:
            self.sock.settimeout(self.timeout)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_exact(self, n, deadline, what="data"):
        while len(self.buf) < n:
            try:
                if not self._fill(deadline):
                    how = "reset" if self.reset else "closed"
                    raise ServerClosed(
                        f"server {how} the connection while {what} was expected "
                        f"(have {len(self.buf)} of {n} bytes: {_hexdump(self.buf)})")
            except socket.timeout:
                raise AssertionError(
                    f"timed out waiting for {what} (have {len(self.buf)} of {n} bytes: "
                    f"{_hexdump(self.buf)})") from None
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_until(self, marker, deadline, limit=1 << 20, what="data"):
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out = bytes(self.buf[:i + len(marker)])
                del self.buf[:i + len(marker)]
                return out
            if len(self.buf) > limit:
                raise AssertionError(f"{what}: no {marker!r} within {limit} bytes")
            try:
                if not self._fill(deadline):
                    how = "reset" if self.reset else "closed"
                    raise ServerClosed(f"server {how} the connection while {what} was expected "
                                       f"(got {_hexdump(self.buf)})")
            except socket.timeout:
                raise AssertionError(f"timed out waiting for {what} (got {_hexdump(self.buf)})") from None

    def wait_closed(self, timeout):
        """Wait until the peer closes. Returns (elapsed_s, extra_bytes).

        extra_bytes are bytes received before EOF/reset (already-buffered
        bytes included). Raises AssertionError if still open after timeout.
        """
        start = time.monotonic()
        deadline = start + timeout
        extra = bytes(self.buf)
        self.buf.clear()
        while not self.eof:
            try:
                self._fill(deadline)
            except socket.timeout:
                raise AssertionError(
                    f"server did not close the TCP connection within {timeout:.1f} s"
                    + (f" (received {_hexdump(extra + bytes(self.buf))})" if extra or self.buf else "")
                ) from None
            extra += bytes(self.buf)
            self.buf.clear()
        return time.monotonic() - start, extra

    def wait_readable(self, seconds):
        """True once bytes (or EOF) are available, False if none within `seconds`."""
        if self.buf or self.eof:
            return True
        try:
            self._fill(time.monotonic() + seconds)
        except socket.timeout:
            return False
        return True

    def assert_silent(self, seconds=0.3):
        """Nothing arrives within `seconds` and the connection stays open."""
        if self.buf:
            raise AssertionError(f"unexpected bytes from server: {_hexdump(self.buf)}")
        try:
            got = self._fill(time.monotonic() + seconds)
        except socket.timeout:
            return
        if got:
            raise AssertionError(f"unexpected bytes from server: {_hexdump(self.buf)}")
        raise AssertionError("server closed the connection unexpectedly")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class RawWebSocket(RawConn):
    """Raw client side of a WebSocket connection."""

    @classmethod
    def connect(cls, port, path="/", extra_headers=(), key=None, first_bytes=b"",
                connection="Upgrade", **kw):
        """Open TCP, perform the opening handshake and verify the 101 response.

        first_bytes are appended to the handshake request in the same write.
        """
        ws = cls(port, **kw)
        try:
            ws.handshake(path, extra_headers, key, first_bytes, connection)
        except BaseException:
            ws.close()
            raise
        return ws

    def handshake(self, path="/", extra_headers=(), key=None, first_bytes=b"",
                  connection="Upgrade"):
        key = key or new_key()
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket",
                 f"Connection: {connection}", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        lines += list(extra_headers)
        req = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.send(req + first_bytes)
        head = self.read_until(b"\r\n\r\n", time.monotonic() + self.timeout, limit=65536,
                               what="handshake response").decode("latin-1")
        status_line, *hlines = head[:-4].split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[0] != "HTTP/1.1" or parts[1] != "101":
            raise AssertionError(f"expected 'HTTP/1.1 101', got {status_line!r}\n{head}")
        headers = {}
        for line in hlines:
            name, sep, value = line.partition(":")
            if not sep:
                raise AssertionError(f"malformed response header line {line!r}")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        self.response_headers = headers

        def one(name):
            vals = headers.get(name, [])
            if len(vals) != 1:
                raise AssertionError(f"expected exactly one {name} header, got {vals}\n{head}")
            return vals[0]
        if one("upgrade").lower() != "websocket":
            raise AssertionError(f"Upgrade header is {one('upgrade')!r}")
        conn_tokens = [t.strip().lower() for v in headers.get("connection", []) for t in v.split(",")]
        if "upgrade" not in conn_tokens:
            raise AssertionError(f"Connection header lacks 'upgrade': {headers.get('connection')}")
        if one("sec-websocket-accept") != accept_for(key):
            raise AssertionError(f"Sec-WebSocket-Accept {one('sec-websocket-accept')!r} != "
                                 f"{accept_for(key)!r} for key {key!r}")
        if "sec-websocket-extensions" in headers:
            raise AssertionError(f"server negotiated extensions: {headers['sec-websocket-extensions']}")
        return headers

    # -- sending frames --------------------------------------------------
    def send_frame(self, opcode, payload=b"", chunk=None, delay=0.0, tolerate=False, **kw):
        self.send(build_frame(opcode, payload, **kw), chunk=chunk, delay=delay, tolerate=tolerate)

    def send_text(self, text, **kw):
        self.send_frame(OP_TEXT, text, **kw)

    def send_binary(self, data, **kw):
        self.send_frame(OP_BINARY, data, **kw)

    def send_close(self, code=None, reason=b"", **kw):
        self.send_frame(OP_CLOSE, close_payload(code, reason), **kw)

    # -- receiving frames ------------------------------------------------
    def recv_frame(self, timeout=None):
        """Read and strictly validate one frame from the server."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        b0, b1 = self.read_exact(2, deadline, "a frame header")
        fin = bool(b0 & 0x80)
        rsv = (b0 >> 4) & 7
        opcode = b0 & 0xF
        masked = bool(b1 & 0x80)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self.read_exact(2, deadline, "a 16-bit length"))
            if n <= 125:
                raise AssertionError(f"server used a 16-bit length for a {n}-byte payload (not minimal)")
        elif n == 127:
            (n,) = struct.unpack("!Q", self.read_exact(8, deadline, "a 64-bit length"))
            if n >> 63:
                raise AssertionError("server sent a 64-bit length with the most significant bit set")
            if n <= 0xFFFF:
                raise AssertionError(f"server used a 64-bit length for a {n}-byte payload (not minimal)")
        key = self.read_exact(4, deadline, "a mask key") if masked else None
        payload = self.read_exact(n, deadline, f"a {n}-byte payload")
        if masked:
            raise AssertionError("server sent a masked frame")
        if rsv:
            raise AssertionError(f"server sent a frame with RSV bits {rsv:03b}")
        if opcode not in OP_NAMES:
            raise AssertionError(f"server sent reserved opcode {opcode:#x}")
        if opcode >= 8 and (not fin or n > 125):
            raise AssertionError(f"server sent an invalid control frame (fin={fin}, len={n})")
        del key
        return Frame(fin, rsv, opcode, payload)

    def expect_frame(self, opcode, payload=None, timeout=None, what=None):
        f = self.recv_frame(timeout)
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        want = f"{OP_NAMES.get(opcode)} frame" + (f" ({what})" if what else "")
        if f.opcode != opcode:
            detail = ""
            if f.opcode == OP_CLOSE:
                detail = f" with code {f.close_code()} reason {f.payload[2:]!r}"
            raise AssertionError(f"expected {want}, got {f!r}{detail}")
        if not f.fin:
            raise AssertionError(f"expected an unfragmented {want}, got FIN=0: {f!r}")
        if payload is not None and f.payload != payload:
            raise AssertionError(
                f"{want}: payload mismatch: got {len(f.payload)} bytes, expected {len(payload)}; "
                f"first difference at {_first_diff(f.payload, payload)}")
        return f

    def expect_echo(self, opcode, payload, timeout=None):
        return self.expect_frame(opcode, payload, timeout, what="echo")

    def expect_pong(self, payload, timeout=None):
        return self.expect_frame(OP_PONG, payload, timeout)

    def expect_close(self, codes, reply=True, timeout=None, allow_empty=False,
                     tcp_timeout=CLOSE_TCP_TIMEOUT, skip_data=False, skip_pings=False):
        """Expect the next frame to be Close with a code in `codes`.

        skip_data=True first skips any text/binary frames (replies to earlier
        messages that may still be on their way) and pings (the server pings
        registered nodes: uptime and round trips); skip_pings=True skips Ping
        frames only.

        codes: int or collection of ints; allow_empty accepts an empty close
        payload too. Then (reply=True) answers with a Close frame and checks the
        server closes the TCP connection within tcp_timeout with nothing more
        sent. Returns the received code (None for an empty payload).
        """
        if isinstance(codes, int):
            codes = (codes,)
        try:
            f = self.recv_frame(timeout)
            while (skip_data and f.opcode in (OP_TEXT, OP_BINARY, OP_PING)) or (skip_pings and f.opcode == OP_PING):
                f = self.recv_frame(timeout)
        except ServerClosed as e:
            raise AssertionError(f"expected Close {'/'.join(map(str, codes))}, but {e}") from None
        if f.opcode != OP_CLOSE:
            raise AssertionError(f"expected Close {'/'.join(map(str, codes))}, got {f!r}")
        code = None
        if len(f.payload) == 0:
            if not allow_empty:
                raise AssertionError(f"expected Close {'/'.join(map(str, codes))}, got an empty Close")
        elif len(f.payload) == 1:
            raise AssertionError("server sent a Close with a 1-byte payload")
        else:
            code = f.close_code()
            try:
                f.payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                raise AssertionError(f"server Close reason is not UTF-8: {f.payload[2:]!r}")
            if code not in codes:
                raise AssertionError(f"expected Close {'/'.join(map(str, codes))}, got Close {code} "
                                     f"reason {f.payload[2:]!r}")
        if reply:
            try:
                self.send(build_frame(OP_CLOSE, close_payload(1000 if code in (None, 1000) else code)),
                          tolerate=True)
            except OSError:
                pass
            elapsed, extra = self.wait_closed(tcp_timeout)
            if extra:
                raise AssertionError(f"server sent data after its Close frame: {_hexdump(extra)}")
        return code

    def expect_no_frame(self, seconds=0.3):
        self.assert_silent(seconds)


def _first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"byte {i} (got {x:#04x}, expected {y:#04x})"
    return f"byte {min(len(a), len(b))} (length)"
