"""Minimal raw HTTP/1.1 client: build requests, parse responses strictly."""

import time

from wsclient import TIMEOUT, RawConn, ServerClosed


class Response:
    def __init__(self, version, status, reason, headers, body, head):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers          # list of (name, value), in order
        self.body = body
        self.head = head                # raw status line + header block

    def header(self, name):
        """The single value of header `name` (None if absent; fails if repeated)."""
        vals = self.header_all(name)
        if len(vals) > 1:
            raise AssertionError(f"header {name} repeated: {vals}")
        return vals[0] if vals else None

    def header_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def tokens(self, name):
        return [t.strip().lower() for v in self.header_all(name) for t in v.split(",") if t.strip()]

    def __repr__(self):
        return f"Response({self.status} {self.reason!r}, body={self.body[:60]!r})"


def request(method, path, headers=(), body=None, host=True, version="HTTP/1.1"):
    """Serialize a request. `headers` is a list of (name, value). A
    Content-Length is added for a bytes body unless one is given or the
    headers announce chunked transfer coding."""
    lines = [f"{method} {path} {version}"]
    names = {k.lower() for k, _ in headers}
    if host and "host" not in names:
        lines.append("Host: 127.0.0.1")
    for k, v in headers:
        lines.append(f"{k}: {v}")
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if body is not None:
        data += body
    return data


def chunked(parts, extensions=None, trailers=()):
    """Encode `parts` in chunked transfer coding."""
    out = b""
    for i, p in enumerate(parts):
        ext = (";" + extensions[i]) if extensions and extensions[i] else ""
        out += f"{len(p):x}{ext}\r\n".encode() + p + b"\r\n"
    out += b"0\r\n"
    for k, v in trailers:
        out += f"{k}: {v}\r\n".encode()
    return out + b"\r\n"


class HttpConn(RawConn):

    def __init__(self, port, timeout=TIMEOUT, **kw):
        super().__init__(port, timeout=timeout, **kw)

    def request(self, method, path, headers=(), body=None, **kw):
        self.send(request(method, path, headers, body, **kw))
        return self.read_response(method)

    def read_response(self, method="GET", timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        try:
            head = self.read_until(b"\r\n\r\n", deadline, limit=65536, what="an HTTP response head")
        except ServerClosed as e:
            raise AssertionError(f"no HTTP response: {e}") from None
        text = head[:-4].decode("latin-1")
        status_line, *lines = text.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit() or len(parts[1]) != 3:
            raise AssertionError(f"malformed status line {status_line!r}")
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise AssertionError(f"malformed response header line {line!r}")
            headers.append((name, value.strip()))
        r = Response(version, status, reason, headers, b"", head)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return r
        te = r.tokens("transfer-encoding")
        if te:
            if te[-1] != "chunked":
                raise AssertionError(f"unsupported response Transfer-Encoding {te}")
            r.body = self._read_chunked(deadline)
        elif r.header("content-length") is not None:
            cl = r.header("content-length")
            if not cl.isdigit():
                raise AssertionError(f"bad Content-Length {cl!r}")
            try:
                r.body = self.read_exact(int(cl), deadline, what=f"a {cl}-byte response body")
            except ServerClosed as e:
                raise AssertionError(f"truncated response body: {e}") from None
        else:
            # Body delimited by connection close.
            _, r.body = self.wait_closed(max(0.1, deadline - time.monotonic()))
        return r

    def _read_chunked(self, deadline):
        body = b""
        while True:
            line = self.read_until(b"\r\n", deadline, what="a chunk size line")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while self.read_until(b"\r\n", deadline, what="trailers") != b"\r\n":
                    pass
                return body
            body += self.read_exact(size, deadline, "chunk data")
            if self.read_exact(2, deadline, "chunk CRLF") != b"\r\n":
                raise AssertionError("chunk data not followed by CRLF")
