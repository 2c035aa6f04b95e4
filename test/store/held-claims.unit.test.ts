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

const at = (dueAt: number, id = '', webhookId = id === '' ? '' : 'wh_a') => ({ dueAt, webhookId, id });
const NOW = 100_000;

test('the floor: a claim in order lists only what is held from it on; giving back, a lease running out, the queue ending and time lower it', () => {
  let clock = 0;
  const held = new HeldClaims(() => clock);
  held.hold('dl_1', 9000, 10, 'wh_a');
  held.hold('dl_2', 9000, 20, 'wh_a');
  held.hold('dl_3', 9000, 30, 'wh_a');
  held.advance(at(30, 'dl_3'), 100);
  assert.deepEqual(held.forClaim(100, true), { floor: at(30, 'dl_3'), held: [{ id: 'dl_3', webhook_id: 'wh_a' }] });
  assert.deepEqual(held.forClaim(100, false).held.map((h) => h.id), ['dl_1', 'dl_2', 'dl_3'], 'a claim out of order lists them all');
  held.advance(at(25, 'dl_9'), 100);
  assert.deepEqual(held.forClaim(100, true).floor, at(30, 'dl_3'), 'it never moves back by advancing');
  held.release('dl_3', 9000); // recorded: its row is no longer due where it was
  assert.deepEqual(held.forClaim(100, true).floor, at(30, 'dl_3'));
  held.release('dl_2', 9000, 'given back');
  assert.deepEqual(held.forClaim(100, true), { floor: at(20), held: [] }, 'a given-back row is due where it was');
  held.hold('dl_2', 9000, 20, 'wh_a');
  held.advance(at(40, 'dl_5'), 100);
  held.hold('dl_4', 200, 35, 'wh_a');
  assert.deepEqual(held.forClaim(150, true).floor, at(40, 'dl_5'));
  assert.deepEqual(held.forClaim(300, true).floor, at(35), 'a lease that ran out: its row is due again where it was');
  held.advance(null, 300);
  assert.deepEqual(held.forClaim(300, true).floor, at(0), 'the queue ended: from the start');
  held.advance(at(40, 'dl_5'), 300);
  clock = 999;
  assert.deepEqual(held.forClaim(300, true).floor, at(40, 'dl_5'));
  clock = 1000;
  assert.deepEqual(held.forClaim(300, true).floor, at(0), 'trusted for a second at most');
});

test('the floor splits one millisecond by endpoint and id, except the claim\'s own', () => {
  const held = new HeldClaims(() => 0);
  // A backlog made due in one millisecond: the first claim held five of its rows.
  for (const id of ['dl_1', 'dl_2', 'dl_3', 'dl_4', 'dl_5']) held.hold(id, NOW + 9000, 50, 'wh_a');
  held.hold('dl_0', NOW + 9000, 50, 'wh_0');
  held.advance(at(50, 'dl_6'), NOW);
  assert.deepEqual(held.forClaim(NOW, true), { floor: at(50, 'dl_6'), held: [] }, 'none of the held rows is listed');
  held.hold('dl_7', NOW + 9000, 50, 'wh_a');
  held.hold('dl_1b', NOW + 9000, 50, 'wh_b');
  assert.deepEqual(held.forClaim(NOW, true).held.map((h) => h.id), ['dl_7', 'dl_1b'], 'rows placed after it are: the id, then the endpoint, orders them');
  held.release('dl_3', NOW + 9000, 'given back');
  assert.deepEqual(held.forClaim(NOW, true).floor, at(50), 'giving one back lowers it to the start of its millisecond');

  const now = new HeldClaims(() => 0);
  now.advance(at(NOW, 'dl_9'), NOW);
  assert.deepEqual(now.forClaim(NOW, true).floor, at(NOW), "in the claim's own millisecond a row stamped after it may still sort first: the floor stays at that millisecond's start");
  now.advance(at(NOW, 'dl_9'), NOW + 1);
  assert.deepEqual(now.forClaim(NOW + 1, true).floor, at(NOW, 'dl_9'), 'a millisecond later it does not');
});
