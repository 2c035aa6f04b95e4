import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextDelayMs, parseRetryAfter, validateRetrySchedule } from '../../src/domain/retry-policy.ts';

test('nextDelayMs follows the schedule and then gives up', () => {
  const cases: [number[], number, number | null | undefined, number | null][] = [
    [[3, 3], 0, undefined, 0],
    [[3, 3], 1, undefined, 3000],
    [[3, 3], 2, undefined, 3000],
    [[3, 3], 3, undefined, null],
    [[3, 3], 4, undefined, null],
    [[], 0, undefined, 0],
    [[], 1, undefined, null],
    [[5, 60, 3600], 1, null, 5000],
    [[5, 60, 3600], 2, null, 60000],
    [[5, 60, 3600], 3, null, 3600000],
    [[5, 60, 3600], 4, null, null],
    [[0], 1, undefined, 0],
    // retry-after is honoured up to twice the scheduled delay
    [[10], 1, 15, 15000],
    [[10], 1, 20, 20000],
    [[10], 1, 21, 20000],
    [[10], 1, 86400, 20000],
    [[10], 1, 2, 2000],
    [[10], 1, 0, 0],
    [[0], 1, 30, 0],
    [[10], 1, -5, 10000],
    [[10], 2, 5, null],
  ];
  for (const [schedule, made, ra, want] of cases) {
    assert.equal(nextDelayMs(schedule, made, ra), want, `${JSON.stringify(schedule)} after ${made}, retry-after ${ra}`);
  }
});

test('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T05:00:00.000Z');
  const cases: [string | string[] | undefined, number | null][] = [
    [undefined, null],
    ['', null],
    ['   ', null],
    ['0', 0],
    ['120', 120],
    [' 7 ', 7],
    [['30', '60'], 30],
    [[], null],
    ['-5', null],
    ['1.5', null],
    ['abc', null],
    ['2024', 2024],
    ['99999999999999999999', null],
    ['Sun, 22 Nov 2026 05:01:00 GMT', 60],
    ['Sun, 22 Nov 2026 05:00:00 GMT', 0],
    ['Sun, 22 Nov 2026 04:00:00 GMT', 0],
    ['Sun, 22 Nov 2026 05:00:00 PST', null],
    ['Sunday, 22-Nov-26 05:00:30 GMT', 30],
    ['Sun Nov 22 05:02:00 2026', 120],
    ['2026-11-22T05:01:00Z', null],
    ['Sun, 32 Foo 2026 05:01:00 GMT', null],
  ];
  for (const [value, want] of cases) {
    assert.equal(parseRetryAfter(value, now), want, JSON.stringify(value));
  }
  // Fractions of a second round up, so we never come back early.
  assert.equal(parseRetryAfter('Sun, 22 Nov 2026 05:00:10 GMT', now + 500), 10);
});

test('validateRetrySchedule', () => {
  const cases: [unknown, string | null][] = [
    [[], null],
    [[3, 3], null],
    [[0, 86400], null],
    [Array.from({ length: 20 }, () => 1), null],
    [Array.from({ length: 21 }, () => 1), '/retry/schedule'],
    [null, '/retry/schedule'],
    ['3,3', '/retry/schedule'],
    [{ 0: 3 }, '/retry/schedule'],
    [[1, 2, 3, -1], '/retry/schedule/3'],
    [[1, 86401], '/retry/schedule/1'],
    [[1.5], '/retry/schedule/0'],
    [['3'], '/retry/schedule/0'],
    [[null], '/retry/schedule/0'],
    [[Number.NaN], '/retry/schedule/0'],
    [[Infinity], '/retry/schedule/0'],
  ];
  for (const [input, param] of cases) {
    const err = validateRetrySchedule(input);
    assert.equal(err?.param ?? null, param, JSON.stringify(input));
    if (err) assert.ok(err.message.length > 0);
  }
});
