import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSecretHeader, isSecretName, MASK, maskRequest, redactHeaders, redactJson, redactText, redactUrl } from '../../src/domain/masking.ts';
import { looksSecret } from '../../src/domain/webhook-rules.ts';
import { buildVariables, renderRequest } from '../../src/domain/template.ts';

function vars(clientData: Record<string, unknown> = {}, args: Record<string, unknown> = {}) {
  return buildVariables({ sessionId: 'conv_1', companyId: 'cmp_1', assistantId: 'agt_1', clientData, args, images: [] });
}

test('one rule for secret header names, shared by webhook reads and every log', () => {
  for (const h of ['Authorization', 'X-Api-Key', 'X-Auth-User', 'Cookie', 'X-Session-Token', 'X-Signature', 'Proxy-Authorization', 'X-Private', 'apikey']) {
    assert.equal(isSecretHeader(h), true, h);
    assert.equal(looksSecret(h), true, `${h} on webhook reads`);
  }
  for (const h of ['Accept', 'X-Tenant', 'X-Source', 'Content-Type', 'webhook-signature', 'webhook-id']) assert.equal(isSecretHeader(h), false, h);
});

test('secret names go by word', () => {
  for (const n of ['erp_token', 'api_key', 'apiKey', 'password', 'clientSecret', 'access_token', 'pin', 'X-Auth']) assert.equal(isSecretName(n), true, n);
  for (const n of ['keywords', 'order_number', 'tokenizer_model', 'title', 'pinned']) assert.equal(isSecretName(n), false, n);
});

test('redactText, redactJson, redactHeaders', () => {
  assert.equal(redactText('a tok_1 b tok_12 c', ['tok_1', 'tok_12']), `a ${MASK} b ${MASK} c`, 'longest first');
  assert.equal(redactText('nothing', ['']), 'nothing', 'an empty secret redacts nothing');
  const found: string[] = [];
  assert.deepEqual(redactJson({ title: 'x tok_1 y', n: 42, password: 'p', deep: [{ 'access-token': 3 }] }, ['tok_1', '42'], found), {
    title: `x ${MASK} y`,
    n: MASK,
    password: MASK,
    deep: [{ 'access-token': MASK }],
  });
  assert.deepEqual(found, ['p', '3']);
  assert.deepEqual(redactHeaders([{ key: 'X-Auth-User', value: 'ada' }, { key: 'X-Note', value: 'has tok_1' }], ['tok_1']), [
    { key: 'X-Auth-User', value: MASK },
    { key: 'X-Note', value: `has ${MASK}` },
  ]);
});

test('redactUrl: userinfo, secret-named query values, and secrets in path and query however encoded', () => {
  const found: string[] = [];
  assert.equal(
    redactUrl("https://u:p@api.test/a/it's%20tok/b?api_key=k1&q=it%27s%20tok&keywords=shoes#tok", ["it's tok", 'tok'], found),
    `https://${MASK}:${MASK}@api.test/a/${MASK}/b?api_key=${MASK}&q=${MASK}&keywords=shoes#${MASK}`,
  );
  assert.deepEqual(found, ['u', 'p', 'k1']);
  // Untouched components keep their exact bytes.
  assert.equal(redactUrl('https://api.test/a%2Fb?x=%7E', ['zzz']), 'https://api.test/a%2Fb?x=%7E');
});

test('maskRequest: every value hidden in variables_used is replaced in the URL, every header and the body', () => {
  const r = renderRequest(
    {
      url: 'https://user:pw@api.test/o/$erp_token/$order?t=$erp_token&api_key=$k&keywords=shoes',
      method: 'POST',
      headers: [
        { key: 'Authorization', value: 'Bearer $erp' },
        { key: 'X-Auth-User', value: '$user' },
        { key: 'X-Note', value: 'token $erp_token, user $user, erp $erp' },
        { key: 'Accept', value: 'application/json' },
      ],
      body: { password: 'p', nested: { accessToken: 'x' }, title: 'ok $erp_token', who: '$user', erp: '$erp', n: '$order' },
    },
    vars({ erp: 'tok_secret_1', k: 'kkkk', erp_token: 'erp-0123', user: 'ada-lovelace' }, {}),
  );
  const m = maskRequest(r);
  assert.equal(m.url, `https://${MASK}:${MASK}@api.test/o/${MASK}/$order?t=${MASK}&api_key=${MASK}&keywords=shoes`);
  assert.deepEqual(
    m.headers.map((h) => h.value),
    [MASK, MASK, `token ${MASK}, user ${MASK}, erp ${MASK}`, 'application/json'],
  );
  assert.deepEqual(JSON.parse(m.body!), { password: MASK, nested: { accessToken: MASK }, title: `ok ${MASK}`, who: MASK, erp: MASK, n: '$order' });
  // erp_token by its name; erp, user and k because their values went into masked places.
  assert.deepEqual(m.variablesUsed, { erp_token: MASK, k: MASK, erp: MASK, user: MASK });
  const { secrets, ...shown } = m;
  for (const secret of ['tok_secret_1', 'kkkk', 'erp-0123', 'ada-lovelace', 'pw']) assert.doesNotMatch(JSON.stringify(shown), new RegExp(secret));
  // What the caller redacts from anything logged beside it (the answer's body).
  for (const secret of ['tok_secret_1', 'kkkk', 'erp-0123', 'ada-lovelace']) assert.ok(secrets.includes(secret), secret);
  // The original is untouched.
  assert.equal(r.headers[0].value, 'Bearer tok_secret_1');
});

test('maskRequest: known secrets (an endpoint credential) are redacted wherever they appear', () => {
  const m = maskRequest(
    {
      method: 'POST',
      url: 'https://hooks.test/setup?code=q-secret',
      headers: [{ key: 'X-Tenant', value: 'q-secret' }],
      body: JSON.stringify({ data: { note: 'q-secret', client_data: { erp_token: 'erp-1', plain: 'x' } } }),
      variablesUsed: {},
      unknownVariables: [],
    },
    ['q-secret'],
  );
  assert.equal(m.url, `https://hooks.test/setup?code=${MASK}`);
  assert.equal(m.headers[0].value, MASK);
  assert.deepEqual(JSON.parse(m.body!), { data: { note: MASK, client_data: { erp_token: MASK, plain: 'x' } } });
});

test('maskRequest: the session ids stay readable even when a header named like a secret carries them', () => {
  const r = renderRequest(
    { url: 'https://api.test/c/$session.id?agent=$assistant.id', method: 'GET', headers: [{ key: 'X-Session-Id', value: '$session.id' }] },
    vars(),
  );
  const m = maskRequest(r);
  assert.equal(m.headers[0].value, MASK);
  assert.equal(m.url, 'https://api.test/c/conv_1?agent=agt_1');
  assert.deepEqual(m.variablesUsed, { 'session.id': 'conv_1', 'assistant.id': 'agt_1' });
});
