import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeldClaims } from '../../src/store/held-claims.ts';

test('a claim holds its delivery until it is released or its lease ends', () => {
  const held = new HeldClaims(() => 0);
  held.hold('dl_1', 1000, 10, 'wh_a');
  held.hold('dl_2', 2000, 20, 'wh_a');
  assert.equal(held.holds('dl_1', 1000), true);
  assert.equal(held.holds('dl_1', 999), false, 'the lease identifies the claim');
  assert.equal(held.isHeld('dl_1', 1000), true);
  assert.equal(held.isHeld('dl_1', 1001), false, 'its lease ran out');
  assert.deepEqual(held.forClaim(500, false).held.map((h) => h.id), ['dl_1', 'dl_2']);
  assert.deepEqual(held.forClaim(1500, false).held.map((h) => h.id), ['dl_2'], 'a claim whose lease ran out is left out of nothing');
  assert.equal(held.holds('dl_1', 1000), false, 'and it is over');
  held.release('dl_2', 2000);
  assert.equal(held.size, 0);
});

test("a later claim of the same delivery is not ended by the earlier claim's release", () => {
  const held = new HeldClaims(() => 0);
  held.hold('dl_1', 1000, 10, 'wh_a');
  held.hold('dl_1', 5000, 10, 'wh_a'); // claimed again after the first lease ran out
  held.release('dl_1', 1000);
  assert.equal(held.holds('dl_1', 5000), true);
  assert.equal(held.holds('dl_1', 1000), false);
  held.release('dl_1', 5000);
  assert.equal(held.isHeld('dl_1', 0), false);
});

test('the floor: a claim in order lists only what is held from it on; giving back, a lease running out, the queue ending and time lower it', () => {
  let clock = 0;
  const held = new HeldClaims(() => clock);
  held.hold('dl_1', 9000, 10, 'wh_a');
  held.hold('dl_2', 9000, 20, 'wh_a');
  held.hold('dl_3', 9000, 30, 'wh_a');
  held.advance(30);
  assert.deepEqual(held.forClaim(100, true), { floor: 30, held: [{ id: 'dl_3', webhook_id: 'wh_a' }] });
  assert.deepEqual(held.forClaim(100, false).held.map((h) => h.id), ['dl_1', 'dl_2', 'dl_3'], 'a claim out of order lists them all');
  held.advance(25);
  assert.equal(held.forClaim(100, true).floor, 30, 'it never moves back by advancing');
  held.release('dl_3', 9000); // recorded: its row is no longer due where it was
  assert.equal(held.forClaim(100, true).floor, 30);
  held.release('dl_2', 9000, 'given back');
  assert.deepEqual(held.forClaim(100, true), { floor: 20, held: [] }, 'a given-back row is due where it was');
  held.hold('dl_2', 9000, 20, 'wh_a');
  held.advance(40);
  held.hold('dl_4', 200, 35, 'wh_a');
  assert.equal(held.forClaim(150, true).floor, 40);
  assert.equal(held.forClaim(300, true).floor, 35, "a lease that ran out: its row is due again where it was");
  held.advance(null);
  assert.equal(held.forClaim(300, true).floor, 0, 'the queue ended: from the start');
  held.advance(40);
  clock = 999;
  assert.equal(held.forClaim(300, true).floor, 40);
  clock = 1000;
  assert.equal(held.forClaim(300, true).floor, 0, 'trusted for a second at most');
});
