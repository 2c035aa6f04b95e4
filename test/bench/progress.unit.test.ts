import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heartbeat, progress } from '../../bench/lib/progress.ts';

/** The bench's progress lines (bench/lib/progress.ts); short intervals, each test waits for the line itself. */

const nextLine = () => {
  let resolve!: (line: string) => void;
  const line = new Promise<string>((r) => (resolve = r));
  return { line, write: (l: string) => resolve(l) };
};

test('progress says how far a wait has got, with the rate since the previous line', async () => {
  const { line, write } = nextLine();
  const stop = progress(write, 'drain', () => ({ done: 23_400, total: 50_000, unit: 'delivered', extra: 'rss 200 MB peak' }), 20);
  try {
    assert.match(await line, /^  drain: 23,400\/50,000 delivered \([\d,]+\/s\), rss 200 MB peak$/);
  } finally {
    stop();
  }
});

test('progress with a phrase adds the elapsed seconds', async () => {
  const { line, write } = nextLine();
  const stop = progress(write, 'console-overview', () => 'seeding 1000000 attempts', 20);
  try {
    assert.match(await line, /^  console-overview: seeding 1000000 attempts, \d+ s$/);
  } finally {
    stop();
  }
});

test('heartbeat fills a silence with the last thing said', async () => {
  const lines: string[] = [];
  let resolve!: () => void;
  const beat = new Promise<void>((r) => (resolve = r));
  const hb = heartbeat((l) => {
    lines.push(l);
    if (l.includes('still running')) resolve();
  }, 'drain', 20);
  try {
    hb.log('  drain: seeded 50000 deliveries; starting the server');
    await beat;
    assert.equal(lines[0], '  drain: seeded 50000 deliveries; starting the server');
    assert.match(lines[1]!, /^  drain: still running, \d+ s in \(last: seeded 50000 deliveries; starting the server\)$/);
  } finally {
    hb.stop();
  }
});
