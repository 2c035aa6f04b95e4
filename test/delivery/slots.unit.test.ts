import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSlotAllocator } from '../../src/delivery/slots.ts';

/** A small seeded PRNG (mulberry32), so the random walk below is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Grants until none is left; returns the endpoints in grant order. */
function drain(slots: ReturnType<typeof createSlotAllocator>): string[] {
  const out: string[] = [];
  for (let id = slots.grant(); id !== null; id = slots.grant()) out.push(id);
  return out;
}

test('a hanging endpoint with max_in_flight = all slots holds at most the company share', () => {
  const slots = createSlotAllocator({ total: 256 });
  slots.setWaiting('a1', 'A', 256, 5000);
  const granted = drain(slots);
  assert.equal(granted.length, 128, 'the endpoint stops at the company share');
  // None of A's slots come back (the endpoint hangs); B's work still gets slots at once.
  slots.setWaiting('b1', 'B', 16, 100);
  const forB = drain(slots);
  assert.equal(forB.length, 16, 'B gets its max_in_flight while A hangs');
  assert.ok(forB.every((id) => id === 'b1'));
});

test('a lone company may grow past its share but leaves the reserve free', () => {
  const slots = createSlotAllocator({ total: 256 });
  for (let i = 0; i < 4; i++) slots.setWaiting(`a${i}`, 'A', 100, 1000);
  const granted = drain(slots);
  assert.equal(granted.length, 256 - 32, 'a company alone fills all but the reserve (1/8)');
  slots.setWaiting('b1', 'B', 64, 1000);
  assert.equal(drain(slots).length, 32, 'a company arriving later finds the reserve free');
  // Now both wait: A is above its share, so every slot A frees goes to B until B has its share.
  for (let i = 0; i < 20; i++) {
    slots.release(`a${i % 4}`);
    assert.equal(slots.grant(), 'b1');
  }
  assert.equal(slots.held().company('B'), 52);
});

test('freed slots go round-robin across companies, then across their endpoints', () => {
  const slots = createSlotAllocator({ total: 6 });
  slots.setWaiting('a1', 'A', 10, 10);
  slots.setWaiting('a2', 'A', 10, 10);
  slots.setWaiting('b1', 'B', 10, 10);
  slots.setWaiting('c1', 'C', 10, 10);
  assert.deepEqual(drain(slots), ['a1', 'b1', 'c1', 'a2', 'b1', 'c1']);
  // Each freed slot goes to the next company in turn, whichever endpoint freed it.
  const order: string[] = [];
  for (const id of ['a1', 'b1', 'c1', 'a2', 'b1', 'c1']) {
    slots.release(id);
    order.push(slots.grant()!);
  }
  assert.deepEqual(order, ['a1', 'b1', 'c1', 'a2', 'b1', 'c1']);
});

test('an endpoint never holds more than its max_in_flight; nothing waiting, nothing granted', () => {
  const slots = createSlotAllocator({ total: 100 });
  slots.setWaiting('a1', 'A', 3, 50);
  assert.equal(drain(slots).length, 3);
  slots.setWaiting('a1', 'A', 3, 0);
  slots.release('a1');
  assert.equal(slots.grant(), null, 'waiting 0 (e.g. out of rate tokens) gets no slot');
});

test('random walk (seeded): the caps hold after every step', () => {
  const total = 64;
  const slots = createSlotAllocator({ total });
  const rand = rng(12);
  const endpoints = Array.from({ length: 12 }, (_, i) => ({ id: `e${i}`, company: `c${i % 4}`, max: 1 + Math.floor(rand() * 80), waiting: 0, active: 0 }));
  for (let step = 0; step < 20_000; step++) {
    const r = rand();
    const e = endpoints[Math.floor(rand() * endpoints.length)];
    if (r < 0.4) {
      e.waiting = Math.floor(rand() * 50);
      slots.setWaiting(e.id, e.company, e.max, e.waiting);
    } else if (r < 0.7) {
      if (e.active > 0) {
        slots.release(e.id);
        e.active--;
      }
    } else {
      const id = slots.grant();
      if (id === null) {
        // Nothing granted: every endpoint with waiting work is at a cap.
        const companyHeld = (c: string) => endpoints.filter((x) => x.company === c).reduce((n, x) => n + x.active, 0);
        const held = endpoints.reduce((n, x) => n + x.active, 0);
        for (const x of endpoints) {
          if (x.waiting === 0 || held >= total) continue;
          assert.ok(x.active >= Math.min(x.max, 32) || companyHeld(x.company) >= 32 || total - held <= 8, `step ${step}: ${x.id} was eligible`);
        }
      } else {
        const g = endpoints.find((x) => x.id === id)!;
        assert.ok(g.waiting > 0, `step ${step}: ${id} had nothing waiting`);
        g.waiting--;
        g.active++;
      }
    }
    const held = slots.held();
    assert.ok(held.total <= total);
    for (const x of endpoints) {
      assert.equal(held.endpoint(x.id), x.active);
      assert.ok(x.active <= Math.min(x.max, 32), `step ${step}: ${x.id} holds ${x.active}`);
    }
  }
});
