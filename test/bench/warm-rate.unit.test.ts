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

test("warmRate: a listener whose first arrival came later is counted from the drain's first second, not its own", () => {
  // Ten endpoints served one after another, 500 arrivals in 500 ms each, over 5 s.
  const listeners = Array.from({ length: 10 }, (_, i) => ({ firstMs: 10_000 + i * 500, lastMs: 10_000 + i * 500 + 500, perQuarterSecond: [250, 250] }));
  // From 11 s: the first two endpoints' arrivals fall in the first second, the other eight's after it.
  assert.equal(warmRate(listeners), (8 * 500) / 4);
});

test('warmRate: nothing to say for a drain under two seconds or with no arrivals', () => {
  assert.equal(warmRate([{ firstMs: 10_000, lastMs: 11_500, perQuarterSecond: [1, 2, 3, 4, 5, 6] }]), null);
  assert.equal(warmRate([{ firstMs: null, lastMs: null, perQuarterSecond: [] }]), null);
});
