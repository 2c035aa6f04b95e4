import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretBox, type SecretBox } from '../../src/domain/secret-box.ts';
import { generateSecret } from '../../src/domain/signing.ts';
import { settingsColumns, type WebhookRow } from '../../src/store/webhooks.ts';
import { createEndpointCache } from '../../src/delivery/endpoint-cache.ts';

/** A real secret box that counts how often a sealed value is opened (the cost the cache saves). */
function countingBox(): SecretBox & { opened: number } {
  const box = createSecretBox('a test master key of enough length 0123456789');
  const counted = { ...box, opened: 0, open: (s: string) => (counted.opened++, box.open(s)) };
  return counted;
}

function row(box: SecretBox, id: string, over: Partial<WebhookRow> = {}): WebhookRow {
  return {
    id,
    company_id: 'cmp_1',
    kind: 'endpoint',
    status: 'active',
    ...settingsColumns(
      { url: 'https://example.com/h', description: '', events: ['*'], filter: null, auth: { type: 'none' }, headers: [], retry: { schedule: [3] }, failure_threshold: 3, timeout_ms: 1000, ordering: 'none', max_in_flight: 4, rate_limit_per_s: null, setup_failure: 'fallback', body_format: 'envelope' },
      box,
    ),
    secret: box.seal(generateSecret()),
    previous_secret: null,
    previous_secret_expires_at: null,
    failure_count: 0,
    failure_window_start: null,
    disabled_at: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

test('opens an endpoint once per change of its row, and always takes the status from the row', () => {
  const box = countingBox();
  const cache = createEndpointCache(box);
  const r = row(box, 'wh_1');
  const first = cache.get(r, 0);
  const once = box.opened;
  assert.ok(once > 0);
  assert.equal(cache.get({ ...r }, 0), first, 'the same object for an unchanged row (per-endpoint work is kept on it)');
  assert.equal(cache.get({ ...r, status: 'failed' }, 1).status, 'failed');
  assert.equal(box.opened, once, 'an unchanged row is not opened again');
  cache.get({ ...r, updated_at: '2026-01-02T00:00:00.000Z' }, 2);
  assert.equal(box.opened, 2 * once, 'a changed row is');
});

test('rebuilds when the previous secret stops signing, and keeps at most maxEntries', () => {
  const box = countingBox();
  const cache = createEndpointCache(box, 2);
  const rotating = row(box, 'wh_r', { previous_secret: box.seal(generateSecret()), previous_secret_expires_at: new Date(1000).toISOString() });
  assert.equal(cache.get(rotating, 0).secrets.length, 2);
  assert.equal(cache.get(rotating, 2000).secrets.length, 1, 'the expired previous secret no longer signs');
  cache.get(row(box, 'wh_a'), 0);
  cache.get(row(box, 'wh_b'), 0);
  const before = box.opened;
  cache.get(rotating, 2001);
  assert.ok(box.opened > before, 'the oldest entry was evicted and is opened again');
});

test('peek answers from the cache for a known row version only, with the status given', () => {
  const box = countingBox();
  const cache = createEndpointCache(box);
  const r = row(box, 'wh_1');
  assert.equal(cache.peek('wh_1', r.updated_at, 'active', 0), undefined, 'nothing before the row was read');
  const first = cache.get(r, 0);
  assert.equal(cache.peek('wh_1', r.updated_at, 'active', 1), first);
  assert.equal(cache.peek('wh_1', r.updated_at, 'disabled', 1)?.status, 'disabled');
  assert.equal(cache.peek('wh_1', '2026-01-02T00:00:00.000Z', 'active', 1), undefined, 'a newer version must be read');
  assert.equal(cache.peek('wh_2', r.updated_at, 'active', 1), undefined);
});
