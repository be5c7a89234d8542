// tests/cross/vectors.mjs: an independent check of docs/vectors/v1.json
// (docs/PROTOCOL.md 8) in JavaScript, sharing no code with sluice's C
// (libsecp256k1, OpenSSL, nettle) nor with the Python checker of
// tests/integration/test_vectors.sh: secp256k1, Keccak-256, SHA-256 and
// HKDF from the pure-JS @noble/curves and @noble/hashes (pinned in
// package.json), AES-256-GCM and zlib from Node's own crypto and zlib. It
// recomputes:
//   - key_wraps (PROTOCOL.md 6): epk = e*G; S = SHA-256(compressed e*P),
//     met from the worker's side too (w*E); WK = HKDF-SHA256(S, salt =
//     epk, "sluice/wrap/v1"); the ciphertext opens under WK with AAD
//     "sluice/wrap/v1" || dataset_id || query_id to u64be(i) || ck for
//     each chunk, and refuses to open for another query;
//   - receipts (6.4): SHA-256(text) = hash; the gateway line is the
//     address of gateway_private_key; the signature is the RFC 6979 low-s
//     EIP-191 signature of text and recovers to that address; the entries
//     are numbered from 1 and each prev is the hash before;
//   - chunk_keys and objects (3.3, 5), since the tools are at hand: each
//     CK_i by HKDF, and each object opened with AES-GCM and inflated.
//
//   node tests/cross/vectors.mjs [docs/vectors/v1.json]
//
// Prints one line per section, then "N passed, 0 failed"; any failed check
// is a "FAIL: ..." line and exit status 1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

const path = process.argv[2] ?? 'docs/vectors/v1.json';
const failures = [];
let passed = 0;

function check(ok, where, what) {
    if (ok) passed++;
    else failures.push(`${where}: ${what}`);
    return ok;
}

const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString('hex');
const eq = (a, b) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
const concat = (...parts) => Buffer.concat(parts.map((p) => Buffer.from(p)));

// "0x" + lowercase hex of exactly n bytes (any length when n is undefined).
function bytes(v, where, n) {
    if (typeof v !== 'string' || !/^0x([0-9a-f]{2})*$/.test(v))
        throw new Error(`${where}: not 0x + lowercase hex`);
    const b = Buffer.from(v.slice(2), 'hex');
    if (n !== undefined && b.length !== n)
        throw new Error(`${where}: ${b.length} bytes, not ${n}`);
    return b;
}

function u64be(dec) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(dec));
    return b;
}

function eip55(addr20) {
    const low = hex(addr20);
    const h = hex(keccak_256(enc.encode(low)));
    return '0x' + [...low].map((c, i) => (/[a-f]/.test(c) && parseInt(h[i], 16) >= 8
        ? c.toUpperCase() : c)).join('');
}

function addressOf(secret) {
    const pub = secp256k1.getPublicKey(secret, false); // 04 || X || Y
    return eip55(keccak_256(pub.subarray(1)).subarray(12));
}

function personalHash(msg) {
    return keccak_256(concat(enc.encode(`\x19Ethereum Signed Message:\n${msg.length}`), msg));
}

const hkdf32 = (ikm, salt, info) => hkdf(sha256, ikm, salt, info, 32);

function gcmOpen(key, nonce, aad, sealed) {
    const d = crypto.createDecipheriv('aes-256-gcm', key, nonce);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return concat(d.update(sealed.subarray(0, sealed.length - 16)), d.final());
}

// The tools first, against published values, before they judge the file.
function selfTest() {
    check(hex(keccak_256(new Uint8Array(0))) ===
        'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
        'self-test', 'keccak256 of nothing');
    check(addressOf(Buffer.from(
        'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', 'hex')) ===
        '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'self-test', "anvil's first address");
    // RFC 5869, test case 1.
    check(hex(hkdf(sha256, Buffer.alloc(22, 0x0b), Buffer.from('000102030405060708090a0b0c', 'hex'),
        Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'), 42)) ===
        '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
        'self-test', 'HKDF-SHA256 (RFC 5869 case 1)');
}

const WRAP_LABEL = enc.encode('sluice/wrap/v1');

function checkWrap(e, i) {
    const where = `key_wraps[${i}]`;
    const w = bytes(e.worker_private_key, `${where}.worker_private_key`, 32);
    const eph = bytes(e.ephemeral_secret, `${where}.ephemeral_secret`, 32);
    const ds = bytes(e.dataset_id, `${where}.dataset_id`, 32);
    const qid = bytes(e.query_id, `${where}.query_id`, 16);
    const epk = bytes(e.wrap.epk, `${where}.wrap.epk`, 33);
    const nonce = bytes(e.wrap.nonce, `${where}.wrap.nonce`, 12);
    const sealed = Buffer.from(e.wrap.ciphertext, 'base64');
    check(sealed.toString('base64') === e.wrap.ciphertext, where, 'wrap.ciphertext is not canonical base64');
    check(e.wrap.alg === 'secp256k1-ecdh-hkdf-sha256-aes256gcm', where, 'wrap.alg');
    check(eq(secp256k1.getPublicKey(eph, true), epk), where, 'wrap.epk is not e*G, compressed');
    const P = secp256k1.getPublicKey(w, true);
    const S = sha256(secp256k1.getSharedSecret(eph, P, true));
    check(eq(sha256(secp256k1.getSharedSecret(w, epk, true)), S), where,
        "the worker's side of ECDH (w*E) does not meet e*P");
    if (e.shared_secret !== undefined)
        check(eq(S, bytes(e.shared_secret, `${where}.shared_secret`, 32)), where,
            'shared_secret is not SHA-256(compressed e*P)');
    const wk = hkdf32(S, epk, WRAP_LABEL);
    if (e.wk !== undefined)
        check(eq(wk, bytes(e.wk, `${where}.wk`, 32)), where, 'wk is not HKDF-SHA256(S, epk, "sluice/wrap/v1")');
    const want = concat(...e.chunks.map((c, j) =>
        concat(u64be(c.index), bytes(c.ck, `${where}.chunks[${j}].ck`, 32))));
    let plain = null;
    try {
        plain = gcmOpen(wk, nonce, concat(WRAP_LABEL, ds, qid), sealed);
    } catch (err) {
        check(false, where, `the wrap does not open under WK with its AAD (${err.message})`);
    }
    if (plain !== null) {
        check(eq(plain, want), where, 'the opened wrap is not u64be(i) || ck for each chunk');
        check(true, where, 'opens');
    }
    if (e.plaintext_hex !== undefined)
        check(eq(want, bytes(e.plaintext_hex, `${where}.plaintext_hex`)), where,
            'plaintext_hex is not the chunks laid out');
    // The AAD binds the query: another query_id must not open it.
    const other = Buffer.from(qid);
    other[15] ^= 1;
    let opened = true;
    try {
        gcmOpen(wk, nonce, concat(WRAP_LABEL, ds, other), sealed);
    } catch {
        opened = false;
    }
    check(!opened, where, 'the wrap opens for another query_id');
}

const RECEIPT_LINES = ['index', 'prev', 'time', 'gateway', 'dataset', 'worker', 'query',
    'chunks', 'cost', 'balance_after', 'credited_total', 'spent_total'];
const N = secp256k1.Point.CURVE().n;

function checkReceipts(list) {
    let prev = Buffer.alloc(32);
    let emptySeen = false;
    check(list.length >= 2, 'receipts', `holds ${list.length} entries, not at least 2`);
    list.forEach((e, i) => {
        const where = `receipts[${i}]`;
        const key = bytes(e.gateway_private_key, `${where}.gateway_private_key`, 32);
        const hash = bytes(e.hash, `${where}.hash`, 32);
        const sig = bytes(e.signature, `${where}.signature`, 65);
        const text = enc.encode(e.text);
        check(eq(sha256(text), hash), where, 'hash is not SHA-256(text)');
        const lines = e.text.split('\n');
        if (!check(lines[0] === 'sluice-release-v1' && lines.length === 13, where,
            'text is not the 13 lines of PROTOCOL.md 6.4')) return;
        const f = {};
        RECEIPT_LINES.forEach((name, j) => {
            const line = lines[j + 1];
            if (check(line.startsWith(name + ': '), where, `line ${j + 2} is not its ${name} line`))
                f[name] = line.slice(name.length + 2);
        });
        check(f.index === String(i + 1), where, `index is ${f.index}, not ${i + 1}`);
        check(f.prev === '0x' + hex(prev), where, 'prev is not the hash of the entry before');
        prev = hash;
        check(f.gateway === addressOf(key), where, 'the gateway line is not the address of gateway_private_key');
        emptySeen ||= f.chunks === '';
        check(BigInt(f.balance_after) === BigInt(f.credited_total) - BigInt(f.spent_total), where,
            'balance_after is not credited_total - spent_total');
        // EIP-191, r || s || v with v = 27 + recovery id, low-s.
        const msgHash = personalHash(text);
        const v = sig[64];
        if (!check(v === 27 || v === 28, where, `v is ${v}, not 27 or 28`)) return;
        const s = BigInt('0x' + hex(sig.subarray(32, 64)));
        check(s > 0n && s <= N / 2n, where, 'the signature is not low-s');
        const rec = concat([v - 27], sig.subarray(0, 64));
        let signer = null;
        try {
            signer = secp256k1.recoverPublicKey(rec, msgHash, { prehash: false });
        } catch (err) {
            check(false, where, `the signature does not recover (${err.message})`);
        }
        if (signer !== null) {
            const pt = secp256k1.Point.fromBytes(signer).toBytes(false);
            check(eip55(keccak_256(pt.subarray(1)).subarray(12)) === f.gateway, where,
                'the signature does not recover to the gateway');
        }
        // RFC 6979: signing again gives the very bytes.
        const again = secp256k1.sign(msgHash, key, { prehash: false, lowS: true, format: 'recovered' });
        check(eq(concat(again.subarray(1), [27 + again[0]]), sig), where,
            'signature is not the deterministic (RFC 6979) signature of the EIP-191 hash of text');
    });
    check(emptySeen, 'receipts', 'has no entry with an empty chunks list');
}

const CHUNK_LABEL = enc.encode('sluice/chunk/v1');

function checkChunkKey(e, i) {
    const where = `chunk_keys[${i}]`;
    const ck = hkdf32(bytes(e.dk, `${where}.dk`, 32), bytes(e.dataset_id, `${where}.dataset_id`, 32),
        concat(CHUNK_LABEL, u64be(e.index)));
    check(eq(ck, bytes(e.ck, `${where}.ck`, 32)), where, 'ck is not HKDF-SHA256(dk, dataset_id, label || u64be(i))');
}

function checkObject(e, i) {
    const where = `objects[${i}]`;
    const obj = bytes(e.object_hex, `${where}.object_hex`);
    const ds = bytes(e.dataset_id, `${where}.dataset_id`, 32);
    const ck = bytes(e.ck, `${where}.ck`, 32);
    check(hex(sha256(obj)) === e.object_id, where, 'object_id is not SHA-256 of the object');
    const header = obj.subarray(0, 36);
    let payload = null;
    try {
        payload = gcmOpen(ck, header.subarray(24, 36), concat(header, ds), obj.subarray(36));
    } catch (err) {
        check(false, where, `the object does not open under ck (${err.message})`);
        return;
    }
    if (e.payload_hex !== undefined)
        check(eq(payload, bytes(e.payload_hex, `${where}.payload_hex`)), where, 'the opened payload is not payload_hex');
    const plain = header[5] & 1 ? zlib.inflateSync(payload) : payload;
    check(eq(plain, bytes(e.plaintext_hex, `${where}.plaintext_hex`)), where, 'the object does not give plaintext_hex');
}

function main() {
    const doc = JSON.parse(fs.readFileSync(path, 'utf8'));
    selfTest();
    const sections = [
        ['key_wraps', (l) => l.forEach(checkWrap)],
        ['receipts', checkReceipts],
        ['chunk_keys', (l) => l.forEach(checkChunkKey)],
        ['objects', (l) => l.forEach(checkObject)],
    ];
    for (const [name, run] of sections) {
        const list = doc[name];
        if (!check(Array.isArray(list) && list.length > 0, name, 'is missing or empty')) continue;
        const before = failures.length;
        try {
            run(list);
        } catch (err) {
            check(false, name, err.message);
        }
        console.log(`${failures.length === before ? 'ok' : 'FAILED'}: ${name}: ${list.length} entries`);
    }
    for (const f of failures) console.log(`FAIL: ${f}`);
    console.log(`${passed} passed, ${failures.length} failed`);
    process.exit(failures.length === 0 ? 0 : 1);
}

main();
