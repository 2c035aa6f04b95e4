import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS, markdown, svg, table, verdict, type Results, type Row } from '../../bench/lib/report.ts';

/** The bench's report (bench/lib/report.ts): verdicts, table and chart for rows with and without a target. */

const row = (r: Partial<Row>): Row => ({ deliveries_per_s: 1000, ratio: 1, p50_ms: null, p99_ms: null, rss_mb: 100, n: 1000, notes: '', ...r });
const results = (scenarios: Record<string, Row>): Results => ({ machine: { cpus: 2, model: 'test', node: 'v20', os: 'test' }, started_at: '2026-01-01T00:00:00.000Z', scenarios });

test('peer-graphile-worker is met at postgres-drain ≥ 1.5 × graphile-worker, missed below', () => {
  assert.deepEqual(TARGETS['peer-graphile-worker'], { target: 1.5, better: 'higher', label: 'postgres-drain ≥ 1.5 × graphile-worker' });
  assert.equal(verdict('peer-graphile-worker', row({ ratio: 1.5 })), true);
  assert.equal(verdict('peer-graphile-worker', row({ ratio: 0.7 })), false);
  assert.equal(verdict('peer-graphile-worker', row({ ratio: null })), null);
});

test('raw and latency-max have no target: no verdict, no MISS in the table, no target mark in the chart', () => {
  for (const name of ['raw', 'latency-max']) {
    assert.equal(TARGETS[name]!.better, 'info');
    assert.equal(verdict(name, row({ ratio: 0.07 })), null);
  }
  const r = results({ raw: row({ ratio: 1 }), 'latency-max': row({ deliveries_per_s: 2000, ratio: 0.07, p99_ms: 21 }), 'peer-graphile-worker': row({ ratio: 0.7 }) });
  const lines = table(r).split('\n');
  assert.match(lines.find((l) => l.startsWith('latency-max'))!, /^latency-max +2000 +0\.07 +-/);
  assert.match(lines.find((l) => l.startsWith('peer-graphile-worker'))!, /0\.70 MISS/);
  assert.match(markdown(r), /\| latency-max \| 2000 \| 0\.07 \|/);
  const chart = svg(r);
  // One target tick (stroke-width 2) for the one row that has a target; blue-grey bars for the others.
  assert.equal(chart.match(/stroke="#222" stroke-width="2"/g)?.length, 1);
  assert.equal(chart.match(/fill="#7a8fa6"/g)?.length, 2);
  assert.match(chart, /highest rate with p99 ≤ 25 ms \/ raw · 2000\/s · p99 21\.0 ms/);
});

test('a ratio just short of its target is written after the target tick, not across it', () => {
  // postgres-drain at 0.19 (target 0.3): the tick is about 25 px past the bar's end.
  const chart = svg(results({ 'postgres-drain': row({ ratio: 0.19 }), isolation: row({ ratio: 0.98 }) }));
  const tick = (name: string) => Number(chart.split(`>${name}<`)[1]!.match(/<line x1="([\d.]+)"/)![1]);
  const label = (value: string) => Number(chart.match(new RegExp(`<text x="([\\d.]+)"[^>]*>${value}<`))![1]);
  const barEnd = (name: string) => { const m = chart.split(`>${name}<`)[1]!.match(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/)!; return Number(m[1]) + Number(m[2]); };
  assert.ok(label('0.19') > tick('postgres-drain'), 'the label starts after the tick');
  // Well past its target (0.98 against 0.9), the label stays at the bar's end.
  assert.equal(label('0.98'), barEnd('isolation') + 6);
});
