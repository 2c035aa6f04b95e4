/**
 * The peer baseline's worker process: BullMQ's Worker, signing each job's envelope with node:crypto
 * (Standard Webhooks) and POSTing it with undici, the way a Node team would build webhook delivery
 * without Switchboard. Reports {type: 'ready'} over IPC once it is consuming.
 *
 *   node --import tsx bench/peer-bullmq-worker.ts <redis port> <target url> <whsec secret> <concurrency>
 */
import { Agent, request } from 'undici';
import { decodeSecret, signatureHeader } from '../src/domain/signing.ts';

const [port, target, secret, concurrency] = process.argv.slice(2) as [string, string, string, string];
// bullmq is optional: the string specifier keeps the type checker from requiring it.
const { Worker } = (await import('bullmq' as string)) as { Worker: new (...args: any[]) => any };
const key = decodeSecret(secret);
const agent = new Agent({ connections: Number(concurrency), keepAliveTimeout: 60_000 });

const worker = new Worker(
  'webhooks',
  async (job: { data: { id: string; body: string } }) => {
    const ts = Math.floor(Date.now() / 1000);
    const res = await request(target, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'peer-bullmq/1',
        'webhook-id': job.data.id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signatureHeader([key], job.data.id, ts, job.data.body),
      },
      body: job.data.body,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`HTTP ${res.statusCode}`);
  },
  { connection: { host: '127.0.0.1', port: Number(port) }, concurrency: Number(concurrency) },
);
await worker.waitUntilReady();
process.send?.({ type: 'ready' });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  worker.close().finally(() => process.exit(0));
});
