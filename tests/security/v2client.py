"""A protocol v2 node client (docs/protocol-v2.md), written from the document
with Python's standard library and `cryptography` (Debian's
python3-cryptography), independent of the server's C++.

    ident = Identity.from_seed("ed25519", b"\\x01" * 32)
    node = await V2Node.connect(port, ident)       # challenge, auth, welcome
    await node.request({"type": "ping"})           # id added and echoed

An Identity derives its principal the IC way (SHA-224 of the DER key, tag
0x02, CRC32 + base32 text form); tests check it against the vectors written
by @dfinity/principal (tests/data/identity/v2_vectors.json).
"""

import asyncio
import base64
import hashlib
import itertools
import json
import zlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import websockets

SUBPROTOCOL = "sela.v2"
DOMAIN = b"sela-v2-auth"
FRAME_TIMEOUT_S = 5.0
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def principal_text(raw):
    """The IC text form: base32(CRC32 || bytes), lowercase, dashes every 5."""
    crc = zlib.crc32(raw).to_bytes(4, "big")
    b32 = base64.b32encode(crc + raw).decode().lower().rstrip("=")
    return "-".join(b32[i:i + 5] for i in range(0, len(b32), 5))


def self_authenticating(der):
    return hashlib.sha224(der).digest() + b"\x02"


def auth_message(nonce, principal_bytes):
    return bytes([len(DOMAIN)]) + DOMAIN + nonce + principal_bytes


class Identity:
    """A node's key pair and principal."""

    def __init__(self, kind, private_key):
        self.kind = kind
        self._key = private_key
        self.der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.principal_bytes = self_authenticating(self.der)
        self.principal = principal_text(self.principal_bytes)

    @classmethod
    def from_seed(cls, kind, seed):
        if kind == "ed25519":
            return cls(kind, ed25519.Ed25519PrivateKey.from_private_bytes(seed))
        return cls(kind, ec.derive_private_key(int.from_bytes(seed, "big"), ec.SECP256K1()))

    _counter = itertools.count(1)

    @classmethod
    def fresh(cls, kind="ed25519", label="node"):
        """A new identity with a seed derived from a counter (deterministic per run)."""
        seed = hashlib.sha256(f"sela-security {label} {next(cls._counter)}".encode()).digest()
        return cls.from_seed(kind, seed)

    def sign(self, message):
        if self.kind == "ed25519":
            return self._key.sign(message)
        r, s = decode_dss_signature(self._key.sign(message, ec.ECDSA(hashes.SHA256())))
        if s > SECP256K1_N // 2:  # low-S, as the protocol requires
            s = SECP256K1_N - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def auth_frame(self, nonce, **extra):
        frame = {"type": "auth", "principal": self.principal, "public_key": b64url(self.der),
                 "signature": b64url(self.sign(auth_message(nonce, self.principal_bytes)))}
        frame.update(extra)
        return frame


class Refused(Exception):
    """The server answered the handshake with an error and closed."""

    def __init__(self, error, close_code, close_reason):
        super().__init__(f"{error} then close {close_code} {close_reason!r}")
        self.error = error
        self.close_code = close_code
        self.close_reason = close_reason


async def open_v2(port, path="/", **kw):
    opts = dict(compression=None, max_size=None, ping_interval=None, open_timeout=5, close_timeout=2,
                subprotocols=[SUBPROTOCOL])
    opts.update(kw)
    return await websockets.connect(f"ws://127.0.0.1:{port}{path}", **opts)


async def recv_json(ws, timeout=FRAME_TIMEOUT_S):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def expect_refusal(ws, timeout=FRAME_TIMEOUT_S):
    """The error frame, then the close; returns Refused."""
    error = await recv_json(ws, timeout)
    try:
        extra = await asyncio.wait_for(ws.recv(), timeout)
        raise AssertionError(f"expected a close after {error}, got {extra!r}")
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    return Refused(error, ws.close_code, ws.close_reason)


class V2Node:
    """An authenticated v2 session and what it received."""

    def __init__(self, ws, identity, welcome):
        self.ws = ws
        self.identity = identity
        self.welcome = welcome
        self.session_id = welcome["session_id"]
        self.client_id = welcome["client_id"]
        self.token = welcome["token"]
        self.last_seq = welcome["last_seq"]
        self.pushes = []  # frames with seq, in order
        self._ids = itertools.count(1)

    @classmethod
    async def connect(cls, port, identity, resume=None, sign_with=None, **extra):
        """Handshake; raises Refused when the server says no."""
        ws = await open_v2(port)
        challenge = await recv_json(ws)
        assert challenge["type"] == "challenge", challenge
        nonce = b64url_decode(challenge["nonce"])
        frame = (sign_with or identity).auth_frame(nonce, **extra)
        if sign_with is not None:
            frame["principal"] = identity.principal
        if resume is not None:
            frame["resume"] = resume
        await ws.send(json.dumps(frame))
        reply = await recv_json(ws)
        if reply.get("type") != "welcome":
            try:
                await asyncio.wait_for(ws.wait_closed(), FRAME_TIMEOUT_S)
            finally:
                pass
            raise Refused(reply, ws.close_code, ws.close_reason)
        return cls(ws, identity, reply)

    async def next_frame(self, timeout=FRAME_TIMEOUT_S):
        frame = await recv_json(self.ws, timeout)
        if "seq" in frame:
            self.pushes.append(frame)
            self.last_seq = max(self.last_seq, frame["seq"])
        return frame

    async def request(self, frame, timeout=FRAME_TIMEOUT_S):
        """Sends a request with a fresh id; returns its reply (pushes that come
        first are kept in self.pushes)."""
        rid = f"r{next(self._ids)}"
        await self.ws.send(json.dumps(dict(frame, id=rid)))
        while True:
            f = await self.next_frame(timeout)
            if f.get("id") == rid:
                return f

    async def job(self, timeout=FRAME_TIMEOUT_S):
        """The next job push (or one that already came)."""
        for f in self.pushes:
            if f["type"] == "job" and not f.get("_taken"):
                f["_taken"] = True
                return f
        while True:
            f = await self.next_frame(timeout)
            if f["type"] == "job" and "id" not in f:
                f["_taken"] = True
                return f

    async def close(self):
        await self.ws.close()
