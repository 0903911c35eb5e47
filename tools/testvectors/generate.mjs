// Writes the protocol v2 identity test vectors with the Internet Computer's
// own JavaScript libraries, so that our C++ (codec/principal_text, auth/identity,
// protocol/v2 handshake) is checked against an independent implementation.
//
//   cd tools/testvectors && npm ci && node generate.mjs ../../tests/data/identity/v2_vectors.json
//
// (scripts/gen-identity-vectors.sh does exactly that.) Every key comes from a
// fixed seed and every nonce from a fixed counter, so the output is the same
// on every run; the C++ tests read the committed file and need no npm.
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Principal } from '@dfinity/principal';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Secp256k1KeyIdentity } from '@dfinity/identity-secp256k1';

const DOMAIN = new TextEncoder().encode('sela-v2-auth');

const hex = (b) => Buffer.from(b).toString('hex');
const b64url = (b) => Buffer.from(b).toString('base64url');
const seedOf = (label) => createHash('sha256').update(label).digest();

// m = 0x0C || "sela-v2-auth" || nonce (32 bytes) || principal bytes
// (ARCHITECTURE.md §5; docs/protocol-v2.md).
function authMessage(nonce, principalBytes) {
  return Buffer.concat([Buffer.from([DOMAIN.length]), DOMAIN, nonce, principalBytes]);
}

// secp256k1's group order; a signature (r, n - s) verifies as ECDSA but is
// the high-S twin that the protocol refuses.
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
function highS(sig) {
  const s = BigInt('0x' + hex(sig.subarray(32)));
  const twin = (N - s).toString(16).padStart(64, '0');
  return Buffer.concat([sig.subarray(0, 32), Buffer.from(twin, 'hex')]);
}

function identityOf(kind, i) {
  const seed = seedOf(`sela-v2-vectors ${kind} ${i}`);
  const id = kind === 'ed25519' ? Ed25519KeyIdentity.generate(seed) : Secp256k1KeyIdentity.generate(seed);
  const der = Buffer.from(id.getPublicKey().toDer());
  const principal = Principal.selfAuthenticating(der);
  return { kind, seed, id, der, principal };
}

async function handshake(ident, n) {
  const nonce = seedOf(`sela-v2-vectors nonce ${n}`);
  const pbytes = Buffer.from(ident.principal.toUint8Array());
  const m = authMessage(nonce, pbytes);
  const sig = Buffer.from(await ident.id.sign(m));
  return { nonce, pbytes, m, sig };
}

function identityJson(x) {
  return {
    kind: x.kind,
    seed_hex: hex(x.seed),
    public_key_der_hex: hex(x.der),
    public_key: b64url(x.der),
    principal: x.principal.toText(),
    principal_hex: hex(x.principal.toUint8Array()),
  };
}

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node generate.mjs OUTPUT.json');
  const identities = [];
  for (const kind of ['ed25519', 'secp256k1']) {
    for (let i = 0; i < 3; i++) identities.push(identityOf(kind, i));
  }
  const handshakes = [];
  let n = 0;
  for (const x of identities) {
    const h = await handshake(x, n++);
    handshakes.push({
      identity: x.principal.toText(),
      kind: x.kind,
      nonce: b64url(h.nonce),
      message_hex: hex(h.m),
      signature: b64url(h.sig),
      auth: { type: 'auth', principal: x.principal.toText(), public_key: b64url(x.der), signature: b64url(h.sig) },
    });
  }
  // Failures a server must refuse, each with what is wrong.
  const bad = [];
  const [a, b] = [identities[0], identities[1]];
  const ha = await handshake(a, 100);
  const hb = await handshake(b, 100);
  bad.push({ why: 'wrong_key', nonce: b64url(ha.nonce),
    auth: { type: 'auth', principal: a.principal.toText(), public_key: b64url(b.der), signature: b64url(hb.sig) } });
  const flipped = Buffer.from(ha.sig); flipped[10] ^= 0x01;
  bad.push({ why: 'bad_signature', nonce: b64url(ha.nonce),
    auth: { type: 'auth', principal: a.principal.toText(), public_key: b64url(a.der), signature: b64url(flipped) } });
  const other = await handshake(a, 101);
  bad.push({ why: 'other_nonce', nonce: b64url(ha.nonce),
    auth: { type: 'auth', principal: a.principal.toText(), public_key: b64url(a.der), signature: b64url(other.sig) } });
  const k = identities[3];
  const hk = await handshake(k, 102);
  bad.push({ why: 'high_s', nonce: b64url(hk.nonce),
    auth: { type: 'auth', principal: k.principal.toText(), public_key: b64url(k.der), signature: b64url(highS(hk.sig)) } });
  const k2 = identities[4];
  const hk2 = await handshake(k2, 103);
  bad.push({ why: 'wrong_key', nonce: b64url(hk2.nonce),
    auth: { type: 'auth', principal: k2.principal.toText(), public_key: b64url(k.der), signature: b64url(hk2.sig) } });

  const texts = [Principal.anonymous(), Principal.managementCanister(),
    Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai'), ...identities.map((x) => x.principal)]
    .map((p) => ({ hex: hex(p.toUint8Array()), text: p.toText() }));
  // Text forms the IC's parser refuses (checked here, so the list is theirs too).
  const invalid = [];
  const good = identities[0].principal.toText();
  const candidates = {
    checksum: good.slice(0, 2) + (good[2] === 'a' ? 'b' : 'a') + good.slice(3),
    trailing_dash: good + '-',
    bad_character: good.slice(0, 1) + '0' + good.slice(2),
  };
  for (const [why, text] of Object.entries(candidates)) {
    let refused = false;
    try { Principal.fromText(text); } catch { refused = true; }
    if (!refused) throw new Error(`@dfinity/principal accepted ${why}: ${text}`);
    invalid.push({ why, text });
  }

  const doc = {
    comment: 'Generated by tools/testvectors/generate.mjs with @dfinity/principal, @dfinity/identity and ' +
      '@dfinity/identity-secp256k1 3.4.3 (package-lock.json). Do not edit; regenerate with scripts/gen-identity-vectors.sh.',
    domain_separator: 'sela-v2-auth',
    identities: identities.map(identityJson),
    handshakes,
    refused_auth: bad,
    principal_texts: texts,
    invalid_principal_texts: invalid,
  };
  writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
