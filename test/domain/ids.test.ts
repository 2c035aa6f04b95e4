import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIdFactory, hasPrefix } from '../../src/domain/ids.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const decode = (s: string) => [...s].reduce((n, ch) => n * 32n + BigInt(ALPHABET.indexOf(ch)), 0n);
const parts = (id: string) => {
  const body = id.slice(id.indexOf('_') + 1);
  return { time: Number(decode(body.slice(0, 10))), random: decode(body.slice(10)) };
};

test('ids have the ULID shape and carry their creation time', () => {
  const newId = createIdFactory();
  const before = Date.now();
  const id = newId('usr');
  assert.match(id, /^usr_[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
  assert.ok(hasPrefix(id, 'usr'));
  const { time } = parts(id);
  assert.ok(time >= before && time <= Date.now() + 1, `${time} vs ${before}`);
});

test('ids sort in creation order within a process, also within one millisecond', () => {
  const newId = createIdFactory();
  const ids = Array.from({ length: 20_000 }, () => newId('evt'));
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} !< ${ids[i]}`);
  assert.equal(new Set(ids).size, ids.length);
});

test('two ids made in the same millisecond are far apart, by a random step: one does not give away the next', () => {
  const newId = createIdFactory();
  const steps: bigint[] = [];
  for (let i = 0; i < 5000 && steps.length < 500; i++) {
    const a = parts(newId('dlv'));
    const b = parts(newId('dlv'));
    if (a.time === b.time) steps.push(b.random - a.random);
  }
  assert.ok(steps.length >= 50, `only ${steps.length} same-millisecond pairs`);
  for (const step of steps) assert.ok(step >= 2n ** 40n, `step ${step}`);
  // Random steps: practically never two alike.
  assert.ok(new Set(steps.map(String)).size > steps.length * 0.99);
});
