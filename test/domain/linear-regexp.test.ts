import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearRegExp } from '../../src/domain/linear-regexp.ts';
import { compileParameters } from '../../src/domain/agents.ts';

test('searches like RegExp#test, in RE2 syntax, with JavaScript \\u escapes', () => {
  assert.equal(linearRegExp('^[A-Z]{2}-[0-9]+$').test('SO-1042'), true);
  assert.equal(linearRegExp('b+').test('abbc'), true, 'unanchored, like RegExp#test');
  assert.equal(linearRegExp('^caf\\u00e9$').test('café'), true);
  assert.equal(linearRegExp('^\\u{1F600}$').test('😀'), true);
  assert.equal(linearRegExp('^\\\\u00e9$').test('\\u00e9'), true, 'an escaped backslash is not an escape');
  assert.throws(() => linearRegExp('^(?=a)'), /not supported by the linear-time engine/);
  assert.throws(() => linearRegExp('(a)\\1'), /not supported/);
  assert.notEqual(String(linearRegExp('a')), String(linearRegExp('b')), 'Ajv keys patterns by toString');
});

test('hostile patterns answer in linear time, through a compiled tool schema', () => {
  const validate = compileParameters({ type: 'object', properties: { code: { type: 'string', pattern: '^(\\w|\\d)+$' } }, patternProperties: { '^(a|a)+$': { type: 'string' } } });
  validate({ code: 'warm-up' });
  for (const code of ['a'.repeat(39) + '!', '1'.repeat(39) + '!']) {
    const started = performance.now();
    assert.equal(validate({ code }), false);
    // A backtracking engine needs hours for the digits; this is a ceiling with wide headroom, not a benchmark.
    assert.ok(performance.now() - started < 50, `took ${performance.now() - started} ms`);
  }
  assert.equal(validate({ code: '1'.repeat(100_000) + '!' }), false);
  assert.equal(validate({ code: 'abc123' }), true);
  assert.equal(validate({ code: 'x', ['a'.repeat(40) + '!']: 1 }), true, 'a key not matching patternProperties is free');
});
