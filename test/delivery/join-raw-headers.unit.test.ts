import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinRawHeaders } from '../../src/delivery/http-client.ts';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

test('raw response headers: lowercase names, repeats joined with ", ", latin1 values', () => {
  const h = joinRawHeaders(raw('Content-Type', 'application/json', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'X-Name', 'caf\u00e9'));
  assert.deepEqual(h, { 'content-type': 'application/json', 'set-cookie': 'a=1, b=2', 'x-name': 'caf\u00e9' });
  assert.equal(Object.getPrototypeOf(h), Object.prototype, 'a plain object');
});

test('header names that are Object.prototype members stay data', () => {
  const h = joinRawHeaders(raw('__proto__', 'x', 'constructor', 'c', 'toString', 't', 'hasOwnProperty', 'h', '__proto__', 'y'));
  assert.equal(Object.getPrototypeOf(h), Object.prototype, 'the prototype is not replaced');
  assert.deepEqual(Object.keys(h), ['__proto__', 'constructor', 'tostring', 'hasownproperty']);
  assert.equal(Object.getOwnPropertyDescriptor(h, '__proto__')?.value, 'x, y');
  assert.equal(h.constructor, 'c');
  assert.equal(JSON.stringify(h), '{"__proto__":"x, y","constructor":"c","tostring":"t","hasownproperty":"h"}');
});
