/**
 * The graphile-worker baseline's worker process: graphile-worker's runner with one task that signs
 * the job's envelope with the `standardwebhooks` library and POSTs it with undici (keep-alive
 * Agent), the way a Node team on PostgreSQL would build webhook delivery without Switchboard.
 * Reports {type: 'ready'} over IPC once the runner is looking for jobs.
 *
 *   node --import tsx bench/peer-graphile-worker-runner.ts <database url> <target url> <whsec secret> '<json RunnerSettings>'
 */
import { Agent, request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { Logger, run, type Task } from 'graphile-worker';

/** The runner's settings (bench/peer-graphile-worker.ts chooses them and says so in the notes). */
export interface RunnerSettings {
  concurrency: number;
  maxPoolSize: number;
  /** graphile-worker's batching (worker.graphile.org/docs/performance): jobs fetched per query, -1 = off. */
  localQueueSize: number;
  /** Completions batched within this many ms, -1 = off. */
  completeJobBatchDelay: number;
}

const [connectionString, target, secret, settingsJson] = process.argv.slice(2) as [string, string, string, string];
const settings = JSON.parse(settingsJson) as RunnerSettings;
const webhook = new Webhook(secret);
const agent = new Agent({ connections: settings.concurrency, keepAliveTimeout: 60_000 });

const deliver: Task = async (payload) => {
  const { id, body } = payload as { id: string; body: string };
  const now = new Date();
  const res = await request(target, {
    method: 'POST',
    dispatcher: agent,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'peer-graphile-worker/1',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': webhook.sign(id, now, body),
    },
    body,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  await res.body.text();
  if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`HTTP ${res.statusCode}`);
};

// Errors only: the runner's info lines (one per job at its default level) are not the benchmark's output.
const logger = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`peer-graphile-worker: ${message}\n`);
});

const runner = await run({
  connectionString,
  concurrency: settings.concurrency,
  maxPoolSize: settings.maxPoolSize,
  noHandleSignals: true,
  logger,
  taskList: { deliver },
  preset: { worker: { localQueue: { size: settings.localQueueSize }, completeJobBatchDelay: settings.completeJobBatchDelay } },
});
process.send?.({ type: 'ready' });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  runner.stop().finally(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
