import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Logger, makeWorkerUtils } from 'graphile-worker';
import { BENCH, forkReady, nowMs, RECORDED_POLL_MS, rssSampler, sleep, startReceiver, stopChild, untilArrived } from './lib/proc.ts';
import { messageEnvelope, messageText } from './lib/payload.ts';
import { withProgress } from './lib/progress.ts';
import { generateSecret } from '../src/domain/signing.ts';
import { createIdFactory } from '../src/domain/ids.ts';
import type { RunnerSettings } from './peer-graphile-worker-runner.ts';

/**
 * The `peer-graphile-worker` scenario: the `postgres-drain` drain done with graphile-worker on
 * PostgreSQL instead of Switchboard. In a fresh database (the caller makes and drops it):
 * graphile-worker's schema is installed and the jobs added up front with its bulk `addJobs` (like
 * the seeded outbox, outside the timed part), then worker processes
 * (bench/peer-graphile-worker-runner.ts) drain them, as many as postgres-drain's worker processes.
 */

export interface GraphilePeerResult {
  rate: number | null;
  delivered: number;
  seconds: number;
  rssPeak: number;
  version: string;
  settings: RunnerSettings;
  notes: string[];
}

/**
 * Per process, like a Switchboard worker process: 64 requests in flight (its endpoint's
 * max_in_flight, under the company share of its 256 slots), 10 pool connections (Switchboard's
 * pool size), and graphile-worker's documented batching on, as Switchboard claims and records in
 * batches: jobs fetched 65 at a time (the library's suggested concurrency + 1), completions
 * batched within the same tick.
 */
export const GRAPHILE_SETTINGS: RunnerSettings = { concurrency: 64, maxPoolSize: 10, localQueueSize: 65, completeJobBatchDelay: 0 };

const quiet = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`peer-graphile-worker: ${message}\n`);
});

export async function runPeerGraphileWorker(o: {
  databaseUrl: string;
  events: number;
  workers: number;
  log: (s: string) => void;
  verify: boolean;
  settings?: RunnerSettings;
}): Promise<GraphilePeerResult> {
  const settings = o.settings ?? GRAPHILE_SETTINGS;
  const version = (createRequire(import.meta.url)('graphile-worker/package.json') as { version: string }).version;
  const secret = generateSecret();
  const receiver = await startReceiver({ verify: o.verify ? { 0: secret } : {} });
  const utils = await makeWorkerUtils({ connectionString: o.databaseUrl, logger: quiet });
  const workers: ChildProcess[] = [];
  try {
    await utils.migrate();
    const newId = createIdFactory();
    const createdAt = new Date().toISOString();
    const conversation = { id: newId('conv'), user_id: null, channel: 'whatsapp', direction: 'inbound', status: 'open', department: 'support', context: { customer_tier: 'gold' }, client_data: {}, custom_fields: {}, agent_config: {}, created_at: createdAt };
    const companyId = newId('cmp');
    o.log(`  peer-graphile-worker: adding ${o.events} jobs (graphile-worker ${version})`);
    let added = 0;
    await withProgress(o.log, 'peer-graphile-worker', () => ({ done: added, total: o.events, unit: 'jobs added' }), async () => {
      while (added < o.events) {
        const n = Math.min(1000, o.events - added);
        const jobs = Array.from({ length: n }, (_, i) => {
          const id = newId('evt');
          const body = messageEnvelope({ id, companyId, sequence: added + i + 1, createdAt, conversation, messageId: newId('msg'), text: messageText(600, i % 6) });
          // Retries as Switchboard's default: 3 attempts in all (graphile-worker's own backoff between them).
          return { identifier: 'deliver', payload: { id, body }, maxAttempts: 3 };
        });
        await utils.addJobs(jobs);
        added += n;
      }
    });
    // As bench/seed.ts does for Switchboard's tables: fresh statistics before the drain.
    await utils.withPgClient((c) => c.query('ANALYZE'));

    o.log(`  peer-graphile-worker: starting ${o.workers} worker processes`);
    const readyAt: number[] = [];
    await Promise.all(
      Array.from({ length: o.workers }, async () => {
        const w = await forkReady(path.join(BENCH, 'peer-graphile-worker-runner.ts'), [o.databaseUrl, receiver.urls[0] + '/hooks/peer', secret, JSON.stringify(settings)]);
        workers.push(w.child);
        readyAt.push(nowMs());
      }),
    );
    const sampler = rssSampler(() => workers.map((w) => w.pid));
    const notes: string[] = [];
    let delivered = 0;
    let recording = false;
    const sample = () => ({ done: delivered, total: o.events, unit: 'delivered', extra: recording ? 'waiting for the jobs to be completed' : undefined });
    const end = await withProgress(o.log, 'peer-graphile-worker', sample, async () => {
      const arrived = await untilArrived(receiver, o.events, (n) => (delivered = n));
      if (arrived.stalled) notes.push(arrived.stalled);
      // "Recorded": graphile-worker deletes a job once it completed; wait until none is left.
      recording = true;
      for (const deadline = nowMs() + 30_000; ; await sleep(RECORDED_POLL_MS)) {
        const r = await utils.withPgClient((c) => c.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs'));
        if (r.rows[0]!.n === 0) return nowMs();
        if (nowMs() > deadline) {
          notes.push(`${r.rows[0]!.n} jobs still in the table 30 s after the last arrival`);
          return nowMs();
        }
      }
    });
    const stats = (await receiver.stats()).listeners[0]!;
    const t0 = Math.min(...readyAt, stats.firstMs ?? Infinity);
    const rssPeak = sampler.stop();
    if (stats.duplicates) notes.push(`${stats.duplicates} duplicates`);
    if (o.verify) notes.push(`signatures verified ${stats.verified}, bad ${stats.badSignatures}`);
    const seconds = (end - t0) / 1000;
    return { rate: delivered / seconds, delivered, seconds, rssPeak, version, settings, notes };
  } finally {
    await Promise.all(workers.map((w) => stopChild(w, 5000)));
    await utils.release();
    await receiver.stop();
  }
}
