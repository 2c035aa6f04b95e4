import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeldClaims } from '../../src/store/held-claims.ts';

test('a claim holds its delivery until it is released or its lease ends', () => {
  const held = new HeldClaims();
  held.hold('dl_1', 1000);
  held.hold('dl_2', 2000);
  assert.equal(held.holds('dl_1', 1000), true);
  assert.equal(held.holds('dl_1', 999), false, 'the lease identifies the claim');
  assert.equal(held.isHeld('dl_1', 1000), true);
  assert.equal(held.isHeld('dl_1', 1001), false, 'its lease ran out');
  assert.deepEqual(held.ids(500), ['dl_1', 'dl_2']);
  assert.deepEqual(held.ids(1500), ['dl_2'], 'a claim whose lease ran out is left out of nothing');
  assert.equal(held.holds('dl_1', 1000), false, 'and it is over');
  held.release('dl_2', 2000);
  assert.equal(held.size, 0);
});

test("a later claim of the same delivery is not ended by the earlier claim's release", () => {
  const held = new HeldClaims();
  held.hold('dl_1', 1000);
  held.hold('dl_1', 5000); // claimed again after the first lease ran out
  held.release('dl_1', 1000);
  assert.equal(held.holds('dl_1', 5000), true);
  assert.equal(held.holds('dl_1', 1000), false);
  held.release('dl_1', 5000);
  assert.equal(held.isHeld('dl_1', 0), false);
});
