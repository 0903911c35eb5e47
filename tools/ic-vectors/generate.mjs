// Writes the byte vectors that src/chain's tests compare with, using the
// Internet Computer's own JavaScript agent (@dfinity/* 3.4.3, pinned by
// package-lock.json). Runs offline once the packages are installed; prints
// JSON on stdout. Every input is fixed, so the output is the same on every
// run (noble's secp256k1 signatures are deterministic; OpenSSL 3.0's are not,
// so the C++ tests verify secp256k1 signatures instead of comparing them).
import { Cbor, Expiry, hashOfMap, requestIdOf } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Secp256k1KeyIdentity } from '@dfinity/identity-secp256k1';

const hex = (b) => Buffer.from(b).toString('hex');
const fromHex = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const expiry = (ns) => Expiry.fromJSON(JSON.stringify({ __expiry__: ns.toString() }));

const SECP_PEM = [
  '-----BEGIN EC PRIVATE KEY-----',
  'MHQCAQEEIGfKHuyoCCCbEXb0789MIdWiCIpZo1LaKApv95SSIaWPoAcGBSuBBAAK',
  'oUQDQgAEahC99Avid7r8D6kIeLjjxJ8kwdJRy5nPrN9o18P7xHT95i0JPr5ivc9v',
  'CB8vG2s97NB0re2MhqvdWgradJZ8Ow==',
  '-----END EC PRIVATE KEY-----',
].join('\n');
const SEED = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const NODE_SEED = fromHex('0101010101010101010101010101010101010101010101010101010101010101');
const LEDGER = Principal.fromText('y5ego-zyaaa-aaaao-qkfhq-cai');
const FILES = Principal.fromText('qe3z4-yiaaa-aaaam-aeoyq-cai');
const EXPIRY_NS = 1764100200000000000n;
const NONCE = fromHex('00112233445566778899aabbccddeeff');

// --- Candid types, as the ledger and the file canister declare them.
const Subaccount = IDL.Vec(IDL.Nat8);
const Account = IDL.Record({ owner: IDL.Principal, subaccount: IDL.Opt(Subaccount) });
const TransferArg = IDL.Record({
  to: Account, fee: IDL.Opt(IDL.Nat), memo: IDL.Opt(IDL.Vec(IDL.Nat8)),
  from_subaccount: IDL.Opt(Subaccount), created_at_time: IDL.Opt(IDL.Nat64), amount: IDL.Nat,
});
const TransferError = IDL.Variant({
  GenericError: IDL.Record({ message: IDL.Text, error_code: IDL.Nat }),
  TemporarilyUnavailable: IDL.Null,
  BadBurn: IDL.Record({ min_burn_amount: IDL.Nat }),
  Duplicate: IDL.Record({ duplicate_of: IDL.Nat }),
  BadFee: IDL.Record({ expected_fee: IDL.Nat }),
  CreatedInFuture: IDL.Record({ ledger_time: IDL.Nat64 }),
  TooOld: IDL.Null,
  InsufficientFunds: IDL.Record({ balance: IDL.Nat }),
});
const TransferResult = IDL.Variant({ Ok: IDL.Nat, Err: TransferError });
const FileMetadata = IDL.Record({
  name: IDL.Text, content_type: IDL.Text, size: IDL.Nat, user_principal_id: IDL.Text,
  job_id: IDL.Text, created_at: IDL.Int, original_file_id: IDL.Text,
});
const StoreResult = IDL.Record({ file_key: IDL.Text, success: IDL.Bool });
const GetFileResult = IDL.Record({ content: IDL.Text, metadata: FileMetadata, success: IDL.Bool });
const StandardRecord = IDL.Record({ name: IDL.Text, url: IDL.Text });
const GetBlocksArgs = IDL.Vec(IDL.Record({ start: IDL.Nat, length: IDL.Nat }));
const Value = IDL.Rec();
Value.fill(IDL.Variant({
  Blob: IDL.Vec(IDL.Nat8), Text: IDL.Text, Nat: IDL.Nat, Int: IDL.Int,
  Array: IDL.Vec(Value), Map: IDL.Vec(IDL.Tuple(IDL.Text, Value)),
}));
const GetBlocksResult = IDL.Rec();
GetBlocksResult.fill(IDL.Record({
  log_length: IDL.Nat,
  blocks: IDL.Vec(IDL.Record({ id: IDL.Nat, block: Value })),
  archived_blocks: IDL.Vec(IDL.Record({
    args: GetBlocksArgs,
    callback: IDL.Func([GetBlocksArgs], [GetBlocksResult], ['query']),
  })),
}));

const edId = Ed25519KeyIdentity.fromSecretKey(SEED);
const secpId = Secp256k1KeyIdentity.fromPem(SECP_PEM);
const edPrincipal = edId.getPrincipal();
const enc = (types, values) => hex(IDL.encode(types, values));

function candidVectors() {
  const minimal = { to: { owner: Principal.anonymous(), subaccount: [] }, fee: [], memo: [], from_subaccount: [],
    created_at_time: [], amount: 100_000_000n };
  const full = { to: { owner: edPrincipal, subaccount: [] }, fee: [], memo: [new TextEncoder().encode('U60T2')],
    from_subaccount: [], created_at_time: [1764100000000000000n], amount: 150_000_000n };
  const sub = new Uint8Array(32); sub[31] = 7;
  const subaccounts = { to: { owner: edPrincipal, subaccount: [sub] }, fee: [0n], memo: [fromHex('53454c41' + '00'.repeat(28))],
    from_subaccount: [sub], created_at_time: [1n], amount: (1n << 70n) + 5n };
  const meta = { name: 'a.json', content_type: 'application/json', size: 2n, user_principal_id: 'p', job_id: 'j',
    created_at: 1764100000000n, original_file_id: 'f' };
  const errors = {
    GenericError: { GenericError: { message: 'x', error_code: 1n } },
    TemporarilyUnavailable: { TemporarilyUnavailable: null },
    BadBurn: { BadBurn: { min_burn_amount: 10n } },
    Duplicate: { Duplicate: { duplicate_of: 7n } },
    BadFee: { BadFee: { expected_fee: 0n } },
    CreatedInFuture: { CreatedInFuture: { ledger_time: 1764100000000000000n } },
    TooOld: { TooOld: null },
    InsufficientFunds: { InsufficientFunds: { balance: 12345n } },
  };
  const out = {
    transfer_minimal: enc([TransferArg], [minimal]),
    transfer_full: enc([TransferArg], [full]),
    transfer_subaccounts: enc([TransferArg], [subaccounts]),
    result_ok_42: enc([TransferResult], [{ Ok: 42n }]),
    result_ok_big: enc([TransferResult], [{ Ok: (1n << 64n) + 1n }]),
    balance_of_args: enc([Account], [{ owner: edPrincipal, subaccount: [] }]),
    balance_result: enc([IDL.Nat], [123456789012345n]),
    fee_result: enc([IDL.Nat], [0n]),
    minting_account_some: enc([IDL.Opt(Account)], [[{ owner: secpId.getPrincipal(), subaccount: [] }]]),
    minting_account_none: enc([IDL.Opt(Account)], [[]]),
    supported_standards: enc([IDL.Vec(StandardRecord)], [[{ name: 'ICRC-1', url: 'https://github.com/dfinity/ICRC-1' },
      { name: 'ICRC-3', url: 'https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-3' }]]),
    store_file_args: enc([IDL.Text, IDL.Text, FileMetadata], ['a.json', '{}', meta]),
    store_file_result: enc([StoreResult], [{ file_key: 'a.json', success: true }]),
    get_file_args: enc([IDL.Text], ['a.json']),
    get_file_result: enc([GetFileResult], [{ content: '{}', metadata: meta, success: true }]),
    get_file_miss: enc([GetFileResult], [{ content: '', metadata: { ...meta, name: '', content_type: '', size: 0n,
      user_principal_id: '', job_id: '', created_at: 0n, original_file_id: '' }, success: false }]),
    get_blocks_args: enc([GetBlocksArgs], [[{ start: 5n, length: 2n }]]),
    empty_args: enc([], []),
  };
  for (const [name, value] of Object.entries(errors)) out[`result_err_${name}`] = enc([TransferResult], [{ Err: value }]);
  // A superset reply a newer canister might send: extra record field, extra
  // variant case. Decoders must read the subset by field id.
  const StoreResultPlus = IDL.Record({ file_key: IDL.Text, success: IDL.Bool, chunks: IDL.Vec(IDL.Nat64) });
  out.store_file_result_extra_field = enc([StoreResultPlus], [{ file_key: 'k', success: true, chunks: [1n, 2n] }]);
  const TransferErrorPlus = IDL.Variant({ ...TransferError._fields.reduce((a, [k, t]) => ({ ...a, [k]: t }), {}),
    Frozen: IDL.Record({ until: IDL.Nat64 }) });
  out.result_err_unknown_case = enc([IDL.Variant({ Ok: IDL.Nat, Err: TransferErrorPlus })], [{ Err: { Frozen: { until: 9n } } }]);
  const block = { Map: [['phash', { Blob: new Uint8Array(32) }], ['ts', { Nat: 1764100000000000000n }],
    ['tx', { Map: [['op', { Text: 'mint' }], ['amt', { Nat: 100000000n }], ['to', { Array: [{ Blob: edPrincipal.toUint8Array() }] }],
      ['memo', { Blob: new TextEncoder().encode('U60T2') }], ['ts', { Nat: 1764100000000000000n }]] }]] };
  out.get_blocks_result = enc([GetBlocksResult], [{ log_length: 10n, blocks: [{ id: 9n, block }],
    archived_blocks: [{ args: [{ start: 0n, length: 9n }], callback: [FILES, 'get_blocks'] }] }]);
  return out;
}

function callContent(sender, method, arg) {
  return { request_type: 'call', canister_id: LEDGER, method_name: method, arg, sender,
    ingress_expiry: expiry(EXPIRY_NS), nonce: NONCE };
}

async function envelope(identity, content) {
  const signed = await identity.transformRequest({ request: {}, endpoint: 'call', body: content });
  return { request_id: hex(requestIdOf(content)), sender_sig: hex(signed.body.sender_sig), cbor: hex(Cbor.encode(signed.body)) };
}

async function main() {
  const transfer = fromHex(candidVectors().transfer_full);
  const edCall = callContent(edPrincipal, 'icrc1_transfer', transfer);
  const secpCall = callContent(secpId.getPrincipal(), 'icrc1_transfer', transfer);
  const query = { request_type: 'query', canister_id: LEDGER, method_name: 'icrc1_balance_of',
    arg: fromHex(candidVectors().balance_of_args), sender: edPrincipal, ingress_expiry: expiry(EXPIRY_NS) };
  const edCallId = requestIdOf(edCall);
  const readState = { request_type: 'read_state', sender: edPrincipal, ingress_expiry: expiry(EXPIRY_NS),
    paths: [[new TextEncoder().encode('request_status'), edCallId]] };
  const anonymousQuery = { ...query, sender: Principal.anonymous() };

  const nodeId = Ed25519KeyIdentity.fromSecretKey(NODE_SEED);
  const reply = { arg: fromHex(candidVectors().balance_result) };
  const queryHash = hashOfMap({ status: 'replied', reply, timestamp: 1764100100000000000n, request_id: requestIdOf(query) });
  const rejectHash = hashOfMap({ status: 'rejected', reject_code: 4, reject_message: 'no', error_code: 'IC0406',
    timestamp: 1764100100000000000n, request_id: requestIdOf(query) });
  const responseSep = new Uint8Array([0x0b, ...new TextEncoder().encode('ic-response')]);

  const out = {
    generator: '@dfinity/agent 3.4.3 (tools/ic-vectors)',
    request_ids: {
      spec_current: hex(requestIdOf({ request_type: 'call', sender: new Uint8Array([4]), ingress_expiry: 1685570400000000000n,
        canister_id: fromHex('00000000000004D2'), method_name: 'hello', arg: fromHex('4449444c00fd2a') })),
      spec_old: hex(requestIdOf({ request_type: 'call', canister_id: fromHex('00000000000004D2'), method_name: 'hello',
        arg: fromHex('4449444c00fd2a') })),
      array_example: hex(requestIdOf({ sender: fromHex('00000000000004D2'),
        paths: [[], [new Uint8Array()], [new TextEncoder().encode('hello'), new TextEncoder().encode('world')]] })),
      nested_map: hex(requestIdOf({ foo: { baz: 'hello', quux: 3n }, bar: new TextEncoder().encode('world') })),
    },
    principals: Object.fromEntries(['', '04', 'abcd01', 'efcdab000000000001', '0000000001d0514f0101', '00000000018023b10101',
      'ffffffffffffffffffffffffffffffffffffffffffffffffffffffff02'].map((h) => [h, Principal.fromHex(h).toText()])),
    ed25519: { seed: hex(SEED), der: hex(edId.getPublicKey().toDer()), principal: edPrincipal.toText(),
      signature_of_abc: hex(await edId.sign(new TextEncoder().encode('abc'))) },
    secp256k1: { pem: SECP_PEM, der: hex(secpId.getPublicKey().toDer()), principal: secpId.getPrincipal().toText() },
    candid: candidVectors(),
    envelopes: {
      nonce: hex(NONCE), ingress_expiry: EXPIRY_NS.toString(),
      call_ed25519: await envelope(edId, edCall),
      call_secp256k1: await envelope(secpId, secpCall),
      query_ed25519: await envelope(edId, query),
      read_state_ed25519: await envelope(edId, readState),
      query_anonymous: { request_id: hex(requestIdOf(anonymousQuery)), cbor: hex(Cbor.encode({ content: anonymousQuery })) },
    },
    query_signature: {
      node_seed: hex(NODE_SEED), node_der: hex(nodeId.getPublicKey().toDer()), node_id: nodeId.getPrincipal().toText(),
      timestamp: '1764100100000000000', query_request_id: hex(requestIdOf(query)),
      replied_hash: hex(queryHash), replied_signature: hex(await nodeId.sign(new Uint8Array([...responseSep, ...queryHash]))),
      rejected_hash: hex(rejectHash),
    },
  };
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

await main();
