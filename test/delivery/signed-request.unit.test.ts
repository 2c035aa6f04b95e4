import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSignedRequest } from '../../src/delivery/request.ts';
import { decodeSecret, generateSecret, verify } from '../../src/domain/signing.ts';

const secret = generateSecret();
const plain = { url: 'https://example.test/hook', secrets: [decodeSecret(secret)], auth: { type: 'none' }, headers: [] } as never;

test("the logged headers' JSON is the logged headers, serialised: without extras (written out) and with them", () => {
  for (const id of ['evt_01M99MDQMT6YP4RYHVHNG20VY3', 'evt_"quoted"\\\u2028']) {
    const r = buildSignedRequest(plain, { id, body: '{"a":1}', timestamp: 1796693483 });
    assert.equal(r.loggedJson, JSON.stringify(r.loggedHeaders));
    assert.deepEqual(JSON.parse(r.loggedJson), r.headers, 'nothing to mask: what is logged is what is sent');
    assert.ok(verify(secret, { id, timestamp: 1796693483, signature: r.headers['webhook-signature']! }, '{"a":1}', { nowSeconds: 1796693483 }));
  }
  const extras = { ...(plain as object), auth: { type: 'basic', username: 'u', password: 'p4ss' }, headers: [{ key: 'User-Agent', value: 'mine' }, { key: 'x-api-key', value: 'k3y' }] } as never;
  const r = buildSignedRequest(extras, { id: 'evt_1', body: '{}', timestamp: 1 });
  assert.equal(r.loggedJson, JSON.stringify(r.loggedHeaders));
  assert.equal(r.headers['User-Agent'], 'mine');
  assert.doesNotMatch(r.loggedJson, /p4ss|k3y|dTpwNHNz/, 'credentials masked in the log');
});
