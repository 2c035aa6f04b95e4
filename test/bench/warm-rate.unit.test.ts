import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmRate } from '../../bench/scenarios.ts';

test('warmRate: the arrivals after the first second, over the time from then to the last arrival', () => {
  // 4 s of arrivals: a slow first second (100 per 250 ms), then 1,000 per 250 ms.
  const perQuarterSecond = [100, 100, 100, 100, ...Array.from({ length: 12 }, () => 1000)];
  const rate = warmRate([{ firstMs: 10_000, lastMs: 14_000, perQuarterSecond }]);
  assert.equal(rate, 12_000 / 3);
  // Two listeners: counted together, from the earlier first arrival.
  const two = warmRate([
    { firstMs: 10_000, lastMs: 14_000, perQuarterSecond },
    { firstMs: 10_000, lastMs: 13_000, perQuarterSecond: [0, 0, 0, 0, 500, 500] },
  ]);
  assert.equal(two, 13_000 / 3);
});

test('warmRate: nothing to say for a drain under two seconds or with no arrivals', () => {
  assert.equal(warmRate([{ firstMs: 10_000, lastMs: 11_500, perQuarterSecond: [1, 2, 3, 4, 5, 6] }]), null);
  assert.equal(warmRate([{ firstMs: null, lastMs: null, perQuarterSecond: [] }]), null);
});
