import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClientOwnedHeader } from '../../src/domain/http-headers.ts';
import { validateHeaders } from '../../src/domain/webhook-rules.ts';
import { checkTools } from '../../src/domain/agents.ts';

const OWNED = ['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-authorization', 'proxy-connection', 'Proxy-Anything'];

test('the client-owned headers are the framing and hop-by-hop ones, any case', () => {
  for (const h of OWNED) {
    assert.ok(isClientOwnedHeader(h), h);
    assert.ok(isClientOwnedHeader(h.toUpperCase()), h);
  }
  for (const h of ['user-agent', 'authorization', 'x-proxy', 'accept', 'cookie']) assert.ok(!isClientOwnedHeader(h), h);
});

test('webhook custom headers and tool headers refuse the same list', async () => {
  const tool = (key: string) => [{ name: 't', type: 'WEBHOOK', webhook: { url: 'https://api.example.com/t', method: 'POST', headers: [{ key, value: 'v' }] } }];
  for (const key of OWNED) {
    assert.equal(validateHeaders([{ key, value: 'v' }], { type: 'none' })?.param, '/headers/0/key', key);
    assert.equal((await checkTools(tool(key), '/tools'))?.param, '/tools/0/webhook/headers/0/key', key);
  }
  assert.equal(validateHeaders([{ key: 'User-Agent', value: 'mine/1' }], { type: 'none' }), null);
  assert.equal(await checkTools(tool('User-Agent'), '/tools'), null);
});
