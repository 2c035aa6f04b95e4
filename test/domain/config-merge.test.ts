import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepMerge } from '../../src/domain/config-merge.ts';

test('objects merge recursively, arrays and scalars replace', () => {
  const base = { voice: { id: 'v1', speed: 1 }, tools: [{ name: 'a' }, { name: 'b' }], prompt: 'hi', runtime: { model: 'x' } };
  const override = { voice: { id: 'v2' }, tools: [{ name: 'c' }], prompt: null, first_message: 'hello' };
  assert.deepEqual(deepMerge(base, override), {
    voice: { id: 'v2', speed: 1 },
    tools: [{ name: 'c' }],
    prompt: null,
    runtime: { model: 'x' },
    first_message: 'hello',
  });
  assert.deepEqual(deepMerge({ a: { b: 1 } }, { a: 5 }), { a: 5 });
  assert.deepEqual(deepMerge({ a: 5 }, { a: { b: 1 } }), { a: { b: 1 } });
  assert.deepEqual(deepMerge({ a: [1, 2] }, { a: { x: 1 } }), { a: { x: 1 } });
  assert.equal(deepMerge({ a: 1 }, 'x'), 'x');
  assert.deepEqual(deepMerge({ a: 1 }, undefined), { a: 1 });
  assert.deepEqual(deepMerge({ a: 1 }, {}), { a: 1 });
});

test('inputs are never mutated nor aliased', () => {
  const base = { voice: { id: 'v1' }, tools: [{ name: 'a' }] };
  const override = { voice: { speed: 2 }, extra: { list: [1] } };
  const baseSnap = structuredClone(base);
  const overrideSnap = structuredClone(override);
  const out = deepMerge(base, override) as Record<string, any>;
  assert.deepEqual(base, baseSnap);
  assert.deepEqual(override, overrideSnap);
  out.tools[0].name = 'changed';
  out.extra.list.push(2);
  assert.deepEqual(base, baseSnap);
  assert.deepEqual(override, overrideSnap);
});

test('__proto__, constructor and prototype keys are ignored', () => {
  const evil = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "a": {"__proto__": {"polluted": true}, "b": 1}}');
  const out = deepMerge({ a: { c: 2 } }, evil) as Record<string, any>;
  assert.deepEqual(out, { a: { c: 2, b: 1 } });
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(Object.getPrototypeOf(out.a), Object.prototype);
  assert.equal(({} as any).polluted, undefined);
  assert.equal(Object.hasOwn(out, '__proto__'), false);
  // ...in the base too.
  const fromBase = deepMerge(evil, {}) as Record<string, any>;
  assert.deepEqual(fromBase, { a: { b: 1 } });
});
