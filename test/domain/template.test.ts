import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildVariables,
  InvalidRenderedUrlError,
  isSystemVariable,
  renderRequest,
  urlOriginProblem,
  UnsafeHeaderValueError,
  type ToolRequestTemplate,
} from '../../src/domain/template.ts';

const RUNS = { numRuns: 600 };

function vars(clientData: Record<string, unknown> = {}, args: Record<string, unknown> = {}, images: string[] = []) {
  return buildVariables({ sessionId: 'conv_1', companyId: 'cmp_1', assistantId: 'agt_1', clientData, args, images });
}

const HOSTILE = [
  '"', "'", '\\', '\\"', '\n', '\r', '\r\n', '\u2028', '\u2029', '\t', '\u0000', '../', '..', '.', '/', '?', '#', '&', '=',
  '%', '%2F', '%2e%2e', '+', ' ', '@', ':', '$other_var', '$session.id', '$', '$$', '${x}', '😀', '👩‍👩‍👧', 'é', '中文', '\u202e',
  '<script>', '}', '{', '[', ']', ',', 'null',
];
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), { maxLength: 8 })
  .map((parts) => parts.join(''));

test('buildVariables: system variables > client_data > arguments, images', () => {
  const v = vars(
    { erp_token: 't', tier: 'gold', order_number: 'old', 'session.id': 'spoof', 'images[5]': 'spoof' },
    { order_number: 'A1', erp_token: 'mine', 'company.id': 'spoof', images: ['spoof'], 'images[0]': 'spoof', note: 'n' },
    ['u0', 'u1'],
  );
  assert.equal(v['session.id'], 'conv_1');
  assert.equal(v['company.id'], 'cmp_1');
  assert.equal(v['assistant.id'], 'agt_1');
  assert.equal(v.order_number, 'old', 'client_data wins over an argument');
  assert.equal(v.erp_token, 't', 'an argument never replaces a credential');
  assert.equal(v.note, 'n');
  assert.equal('images[5]' in v, false, 'no image variable beyond the images passed');
  assert.equal(v.tier, 'gold');
  assert.equal(v['images[0]'], 'u0');
  assert.equal(v['images[1]'], 'u1');
  assert.deepEqual(v.images, ['u0', 'u1']);
  const none = buildVariables({ sessionId: 's', companyId: 'c', assistantId: null, clientData: {}, args: {}, images: [] });
  assert.equal(none['assistant.id'], null);
  assert.deepEqual(none.images, []);
});

test('the contract example: path segment, Authorization from client data, body', () => {
  const tpl: ToolRequestTemplate = {
    url: 'https://erp.example.com/api/orders/$order_number',
    method: 'GET',
    headers: [{ key: 'Authorization', value: 'Bearer $erp_token' }],
    body: { title: '$issue_title', note: 'Order $order_number for $session.id' },
  };
  const r = renderRequest(tpl, vars({ erp_token: 'tok_123' }, { order_number: 'A 1/2', issue_title: 'Late "parcel"' }));
  assert.equal(r.method, 'GET');
  assert.equal(r.url, 'https://erp.example.com/api/orders/A%201%2F2');
  assert.deepEqual(r.headers, [{ key: 'Authorization', value: 'Bearer tok_123' }]);
  assert.deepEqual(JSON.parse(r.body!), { title: 'Late "parcel"', note: 'Order A 1/2 for conv_1' });
  assert.deepEqual(r.variablesUsed, { order_number: 'A 1/2', erp_token: 'tok_123', issue_title: 'Late "parcel"', 'session.id': 'conv_1' });
  assert.deepEqual(r.unknownVariables, []);
});

test('images, built-in ids and whole-string variables keep their JSON type', () => {
  const tpl: ToolRequestTemplate = {
    url: 'https://api.test/c/$company.id/s/$session.id?agent=$assistant.id',
    method: 'POST',
    body: { first: '$images[0]', second: '$images[1]', all: '$images', n: '$count', flag: '$vip', obj: '$cust', text: 'n=$count', none: '$nothing' },
  };
  const r = renderRequest(tpl, vars({ cust: { a: [1] }, vip: true, nothing: null }, { count: 3 }, ['https://img/1.png', 'https://img/2.png']));
  assert.equal(r.url, 'https://api.test/c/cmp_1/s/conv_1?agent=agt_1');
  assert.deepEqual(JSON.parse(r.body!), {
    first: 'https://img/1.png',
    second: 'https://img/2.png',
    all: ['https://img/1.png', 'https://img/2.png'],
    n: 3,
    flag: true,
    obj: { a: [1] },
    text: 'n=3',
    none: null,
  });
});

test('longest name first: $session_id, $session and $session.id in one template', () => {
  const v = vars({ session: 'S', session_id: 'SID' });
  const r = renderRequest(
    { url: 'https://api.test/$session_id/$session.id/$session', method: 'POST', headers: [{ key: 'X', value: '$session_id|$session.id|$session' }], body: { t: '$session_id $session.id $session.' } },
    v,
  );
  assert.equal(r.url, 'https://api.test/SID/conv_1/S');
  assert.equal(r.headers[0].value, 'SID|conv_1|S');
  assert.equal(JSON.parse(r.body!).t, 'SID conv_1 S.');
  // Without session_id, `$session_id` is an unknown word, not `$session` + `_id`.
  const r2 = renderRequest({ url: 'https://api.test/x', method: 'POST', body: { t: '$session_id' } }, vars({ session: 'S' }));
  assert.equal(JSON.parse(r2.body!).t, '$session_id');
  assert.deepEqual(r2.unknownVariables, ['session_id']);
});

test('unknown variables are left as written and reported once', () => {
  const r = renderRequest(
    {
      url: 'https://api.test/a/$missing?q=$nope&k=$known',
      method: 'POST',
      headers: [{ key: 'X-A', value: 'v $nope, $customer.name.' }],
      body: { t: 'Dear $customer.name. Price: 5$ ($known) $images[3]', w: '$constructor' },
    },
    vars({ known: 'K' }),
  );
  assert.equal(r.url, 'https://api.test/a/$missing?q=$nope&k=K');
  assert.equal(r.headers[0].value, 'v $nope, $customer.name.');
  assert.deepEqual(JSON.parse(r.body!), { t: 'Dear $customer.name. Price: 5$ (K) $images[3]', w: '$constructor' });
  assert.deepEqual(r.unknownVariables, ['missing', 'nope', 'customer.name', 'images[3]', 'constructor']);
  assert.deepEqual(r.variablesUsed, { known: 'K' });
});

test('body given as JSON text with unquoted variables', () => {
  const r = renderRequest(
    { url: 'https://api.test/', method: 'POST', body: '{"n": $count, "imgs": $images, "t": "x $name $count", "s": "$name", "u": $unknown, "d": "$"}' },
    vars({}, { count: 7, name: 'a "b" $count' }, ['i0']),
  );
  assert.deepEqual(JSON.parse(r.body!), { n: 7, imgs: ['i0'], t: 'x a "b" $count 7', s: 'a "b" $count', u: '$unknown', d: '$' });
  assert.deepEqual(r.unknownVariables, ['unknown']);
  // A string that is not JSON even with values filled in is a plain string body.
  const plain = renderRequest({ url: 'https://api.test/', method: 'POST', body: 'hello $name' }, vars({}, { name: 'Bo' }));
  assert.equal(plain.body, '"hello Bo"');
  const none = renderRequest({ url: 'https://api.test/', method: 'GET' }, vars());
  assert.equal(none.body, undefined);
});

test('CR, LF or NUL in a rendered header value is refused', () => {
  for (const bad of ['a\r\nX-Evil: 1', 'a\nb', 'a\rb', 'a\u0000b']) {
    assert.throws(
      () => renderRequest({ url: 'https://api.test/', method: 'GET', headers: [{ key: 'Accept', value: 'x' }, { key: 'X-Token', value: 'T $t' }] }, vars({ t: bad })),
      (e: unknown) => e instanceof UnsafeHeaderValueError && e.code === 'unsafe_header_value' && e.header === 'X-Token' && e.index === 1,
    );
  }
});

test('URL: variables cannot escape their path segment, query value or host', () => {
  const r = renderRequest({ url: 'https://api.test/a/$x/b?q=$y&z=1#$y', method: 'GET' }, vars({ x: '../../admin?x=1#', y: 'a&b=c#d' }));
  assert.equal(r.url, 'https://api.test/a/..%2F..%2Fadmin%3Fx%3D1%23/b?q=a%26b%3Dc%23d&z=1#a%26b%3Dc%23d');
  // A whole `.` or `..` segment would be resolved away by any URL parser, even percent-encoded.
  for (const x of ['..', '.']) {
    assert.throws(() => renderRequest({ url: 'https://api.test/a/$x/b', method: 'GET' }, vars({ x })), InvalidRenderedUrlError);
  }
  assert.equal(renderRequest({ url: 'https://api.test/a/$x', method: 'GET' }, vars({ x: '%2e%2e' })).url, 'https://api.test/a/%252e%252e');
  // A variable in the host never renders: the origin must be the one written in the template.
  for (const tenant of ['acme', 'evil.com/', 'evil.com#', 'a@evil.com', 'evil.com:99', 'a b']) {
    assert.throws(() => renderRequest({ url: 'https://$tenant.example.com/v1', method: 'GET' }, vars({ tenant })), InvalidRenderedUrlError, tenant);
  }
  assert.throws(() => renderRequest({ url: '$base/orders', method: 'GET' }, vars({ base: 'https://evil.com' })), InvalidRenderedUrlError);
  assert.throws(() => renderRequest({ url: 'ftp://api.test/$x', method: 'GET' }, vars({ x: 'a' })), InvalidRenderedUrlError);
  assert.throws(() => renderRequest({ url: 'https://api.test:$port/v1', method: 'GET' }, vars({ port: '444' })), InvalidRenderedUrlError);
  // Userinfo variables are encoded and cannot move the host.
  assert.equal(renderRequest({ url: 'https://$u@api.test/v1', method: 'GET' }, vars({ u: 'me@evil.com' })).url, 'https://me%40evil.com@api.test/v1');
  // null is empty in a URL.
  assert.equal(renderRequest({ url: 'https://api.test/a?q=$n', method: 'GET' }, vars({ n: null })).url, 'https://api.test/a?q=');
});

test('URL: a backslash separates path segments too, so `..` cannot climb through it', () => {
  for (const url of ['https://api.test/a\\$x\\b', 'https://api.test/a\\$x/b', 'https://api.test/a/$x\\b', 'https://api.test\\$x\\b']) {
    for (const x of ['..', '.']) {
      assert.throws(() => renderRequest({ url, method: 'GET' }, vars({ x })), InvalidRenderedUrlError, `${url} with ${x}`);
    }
  }
  // The separator stays as written; the URL parser reads it as `/`.
  assert.equal(renderRequest({ url: 'https://api.test/a\\$x', method: 'GET' }, vars({ x: 'b' })).url, 'https://api.test/a/b');
  // A value's own backslash is encoded, never a separator.
  assert.equal(renderRequest({ url: 'https://api.test/a/$x', method: 'GET' }, vars({ x: '..\\..' })).url, 'https://api.test/a/..%5C..');
});

test('urlOriginProblem: no variable in the scheme, host or port; userinfo, path and query may have them', () => {
  for (const url of ['https://$host/x', 'https://api.$tenant.test/x', 'https://api.test:$port/x', '$base/orders', 'https://$a@$b/x']) {
    assert.match(urlOriginProblem(url) ?? '', /cannot contain \$variables/, url);
  }
  // A backslash ends the authority (as the URL parser reads it): what follows is path.
  for (const url of ['https://api.test/$x?q=$y#$z', 'https://$user:$pass@api.test/x', 'https://api.test', 'https://api.test:8443/a$b', 'https://api.test\\@$h/x']) {
    assert.equal(urlOriginProblem(url), null, url);
  }
});

test('isSystemVariable', () => {
  for (const n of ['session.id', 'company.id', 'assistant.id', 'images', 'images[0]', 'images[12]']) assert.equal(isSystemVariable(n), true, n);
  for (const n of ['session', 'session_id', 'image', 'images_0', 'company']) assert.equal(isSystemVariable(n), false, n);
});

test('property: a value inside a body string is JSON-escaped and round-trips', () => {
  fc.assert(
    fc.property(hostile, (value) => {
      const r = renderRequest({ url: 'https://api.test/', method: 'POST', body: { title: 'prefix $issue_title suffix', keep: ['$issue_title!'] } }, vars({}, { issue_title: value }));
      const parsed = JSON.parse(r.body!);
      assert.equal(parsed.title, `prefix ${value} suffix`);
      assert.equal(parsed.keep[0], `${value}!`);
      assert.deepEqual(r.variablesUsed, { issue_title: value });
    }),
    RUNS,
  );
});

test('property: a whole-string variable round-trips exactly, as JSON text body too', () => {
  const json = fc.oneof(hostile, fc.integer(), fc.boolean(), fc.constant(null), fc.array(hostile, { maxLength: 3 }), fc.dictionary(hostile, hostile, { maxKeys: 3 }));
  fc.assert(
    fc.property(json, (value) => {
      const expected = JSON.parse(JSON.stringify(value));
      const r = renderRequest({ url: 'https://api.test/', method: 'POST', body: { v: '$order_number' } }, vars({}, { order_number: value }));
      assert.deepEqual(JSON.parse(r.body!), { v: expected });
      const t = renderRequest({ url: 'https://api.test/', method: 'POST', body: '{"v": $order_number, "s": "$order_number"}' }, vars({}, { order_number: value }));
      assert.deepEqual(JSON.parse(t.body!), { v: expected, s: expected });
    }),
    RUNS,
  );
});

test('property: URL structure is fixed by the template, values decode back', () => {
  fc.assert(
    fc.property(hostile, hostile, (x, y) => {
      const render = () => renderRequest({ url: 'https://api.test/a/$x/b?q=$y&z=1', method: 'GET' }, vars({ x, y }));
      if (x === '.' || x === '..') {
        assert.throws(render, InvalidRenderedUrlError);
        return;
      }
      const u = new URL(render().url);
      assert.equal(u.hostname, 'api.test');
      const segments = u.pathname.split('/');
      assert.equal(segments.length, 4);
      assert.equal(decodeURIComponent(segments[2]), x);
      assert.deepEqual([...u.searchParams.keys()], ['q', 'z']);
      assert.equal(u.searchParams.get('q'), y);
      assert.equal(decodeURIComponent(u.search.slice(3).split('&')[0]), y);
      assert.equal(u.hash, '');
    }),
    RUNS,
  );
});

test('property: header values are literal or refused', () => {
  fc.assert(
    fc.property(hostile, (value) => {
      const render = () => renderRequest({ url: 'https://api.test/', method: 'GET', headers: [{ key: 'X-V', value: 'v=$v;' }] }, vars({ v: value }));
      if (/[\r\n\0]/.test(value)) assert.throws(render, UnsafeHeaderValueError);
      else assert.equal(render().headers[0].value, `v=${value};`);
    }),
    RUNS,
  );
});

test('property: substitution is a single pass (a value naming another variable stays literal)', () => {
  fc.assert(
    fc.property(hostile, hostile, (prefix, suffix) => {
      const value = `${prefix}$other_var$session.id${suffix}`;
      const v = vars({ other_var: 'OTHER' }, { a: value });
      const r = renderRequest(
        { url: 'https://api.test/p/$a?q=$a', method: 'POST', body: { t: '[$a]', w: '$a' } },
        v,
      );
      const u = new URL(r.url);
      assert.equal(decodeURIComponent(u.pathname.split('/')[2]), value);
      assert.equal(u.searchParams.get('q'), value);
      const body = JSON.parse(r.body!);
      assert.equal(body.t, `[${value}]`);
      assert.equal(body.w, value);
      if (!/[\r\n\0]/.test(value)) {
        const h = renderRequest({ url: 'https://api.test/', method: 'GET', headers: [{ key: 'X-A', value: '<$a>' }] }, v);
        assert.equal(h.headers[0].value, `<${value}>`);
      }
      assert.deepEqual(Object.keys(r.variablesUsed), ['a']);
    }),
    RUNS,
  );
});
