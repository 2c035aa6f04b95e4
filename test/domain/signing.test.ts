import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { decodeSecret, generateSecret, sign, signatureHeader, verify } from '../../src/domain/signing.ts';

interface Vectors {
  tolerance_seconds: number;
  sign: { secret: string; id: string; timestamp: number; payload: string; signature: string }[];
  verify_multi_signature_header_must_pass: string;
  must_fail: { why: string; signature?: string; timestamp_offset_seconds?: number; secret?: string }[];
}

// The public vectors of shared/vectors/, copied into the repository so a clone tests on its own.
const vectors = JSON.parse(readFileSync(new URL('../fixtures/standard-webhooks.json', import.meta.url), 'utf8')) as Vectors;
const base = vectors.sign[0]!;

test('sign reproduces every published vector', () => {
  assert.ok(vectors.sign.length > 0);
  for (const v of vectors.sign) {
    assert.equal(sign(decodeSecret(v.secret), v.id, v.timestamp, v.payload), v.signature);
    assert.equal(verify(v.secret, { id: v.id, timestamp: v.timestamp, signature: v.signature }, v.payload, { nowSeconds: v.timestamp }), true);
  }
});

test('a multi-signature header passes when one v1 entry matches', () => {
  const h = { id: base.id, timestamp: String(base.timestamp), signature: vectors.verify_multi_signature_header_must_pass };
  assert.equal(verify(base.secret, h, base.payload, { nowSeconds: base.timestamp }), true);
});

for (const c of vectors.must_fail) {
  test(`must fail: ${c.why}`, () => {
    const secret = c.secret ?? base.secret;
    const signature = c.signature ?? base.signature;
    const now = base.timestamp + (c.timestamp_offset_seconds ?? 0);
    const h = { id: base.id, timestamp: base.timestamp, signature };
    assert.equal(verify(secret, h, base.payload, { nowSeconds: now, toleranceSeconds: vectors.tolerance_seconds }), false);
    if (c.timestamp_offset_seconds !== undefined) {
      // Both directions count as out of tolerance; exactly at the edge still passes.
      assert.equal(verify(secret, h, base.payload, { nowSeconds: base.timestamp - c.timestamp_offset_seconds }), false);
      assert.equal(verify(secret, h, base.payload, { nowSeconds: base.timestamp + vectors.tolerance_seconds }), true);
    }
  });
}

test('decodeSecret rejects empty and malformed secrets', () => {
  for (const bad of ['', 'whsec_', 'whsec_@@@@', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_a', 'whsec_====']) {
    assert.throws(() => decodeSecret(bad), Error, bad);
  }
  assert.equal(decodeSecret(base.secret).length, 24);
});

test('verify rejects other tampering', () => {
  const ok = { id: base.id, timestamp: base.timestamp, signature: base.signature };
  const opts = { nowSeconds: base.timestamp };
  assert.equal(verify(base.secret, ok, base.payload + ' ', opts), false);
  assert.equal(verify(base.secret, { ...ok, id: base.id + 'x' }, base.payload, opts), false);
  assert.equal(verify(base.secret, { ...ok, signature: base.signature.replace('v1,', 'v2,') }, base.payload, opts), false);
  assert.equal(verify(base.secret, { ...ok, signature: '' }, base.payload, opts), false);
  assert.equal(verify(base.secret, { ...ok, timestamp: 'abc' }, base.payload, opts), false);
  assert.equal(verify(base.secret, { ...ok, timestamp: '1614265330.0' }, base.payload, opts), false);
});

test('generateSecret yields whsec_ + 32 random bytes', () => {
  const a = generateSecret();
  assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(decodeSecret(a).length, 32);
  assert.notEqual(a, generateSecret());
});

test('rotation header carries both signatures and each secret verifies it', () => {
  const oldSecret = generateSecret();
  const newSecret = generateSecret();
  const ts = Math.floor(Date.now() / 1000);
  const body = '{"id":"evt_1","type":"message.received"}';
  const header = signatureHeader([decodeSecret(oldSecret), decodeSecret(newSecret)], 'evt_1', ts, body);
  assert.equal(header.split(' ').length, 2);
  assert.equal(verify(oldSecret, { id: 'evt_1', timestamp: ts, signature: header }, body), true);
  assert.equal(verify(newSecret, { id: 'evt_1', timestamp: ts, signature: header }, body), true);
  assert.equal(verify(generateSecret(), { id: 'evt_1', timestamp: ts, signature: header }, body), false);
});

test('the standardwebhooks reference library accepts our signatures and we accept its', () => {
  const secret = generateSecret();
  const ts = Math.floor(Date.now() / 1000);
  const body = '{"id":"evt_01","type":"conversation.created","data":{"x":"é ü 🚀"}}';
  const header = signatureHeader([decodeSecret(generateSecret()), decodeSecret(secret)], 'evt_01', ts, body);
  const wh = new Webhook(secret);
  const parsed = wh.verify(body, { 'webhook-id': 'evt_01', 'webhook-timestamp': String(ts), 'webhook-signature': header });
  assert.deepEqual(parsed, JSON.parse(body));
  assert.throws(() => wh.verify(body + 'x', { 'webhook-id': 'evt_01', 'webhook-timestamp': String(ts), 'webhook-signature': header }));

  const theirs = wh.sign('evt_02', new Date(ts * 1000), body);
  assert.equal(theirs, sign(decodeSecret(secret), 'evt_02', ts, body));
  assert.equal(verify(secret, { id: 'evt_02', timestamp: String(ts), signature: theirs }, body), true);
});
