import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { BENCH, forkReady, nowMs, RECORDED_POLL_MS, rssSampler, sleep, startReceiver, stopChild, untilArrived } from './lib/proc.ts';
import { messageEnvelope, messageText } from './lib/payload.ts';
import { withProgress } from './lib/progress.ts';
import { generateSecret } from '../src/domain/signing.ts';
import { createIdFactory } from '../src/domain/ids.ts';

/**
 * The `peer-bullmq` scenario: the same 50,000-event drain done without Switchboard. A private
 * redis-server on a free loopback port, the jobs added up front (like the seeded outbox), then one
 * BullMQ worker process (bench/peer-bullmq-worker.ts) drains them; retries as Switchboard's default
 * (3 attempts, 3 s apart). `bullmq` and `ioredis` are dev dependencies; needs `redis-server` on the PATH.
 */

export interface PeerResult {
  rate: number | null;
  delivered: number;
  rssPeak: number;
  redis: string;
  notes: string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject).listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ child: ChildProcess; port: number; version: string }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += String(c)));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`no Redis: ${err.message}`)));
    const t = setInterval(() => {
      if (/Ready to accept connections/i.test(out)) {
        clearInterval(t);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(t);
      reject(new Error(`redis-server exited (${code}): ${out.slice(-300)}`));
    });
  });
  const version = /v=(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? /Redis version=([\d.]+)/.exec(out)?.[1] ?? 'unknown';
  return { child, port, version };
}

export async function runPeerBullmq(o: { events: number; log: (s: string) => void; verify: boolean }): Promise<PeerResult> {
  const { Queue } = (await import('bullmq' as string)) as { Queue: new (...args: any[]) => any };
  const secret = generateSecret();
  const receiver = await startReceiver({ verify: o.verify ? { 0: secret } : {} });
  const redis = await startRedis();
  let worker: ChildProcess | null = null;
  try {
    const queue = new Queue('webhooks', { connection: { host: '127.0.0.1', port: redis.port } });
    const newId = createIdFactory();
    const createdAt = new Date().toISOString();
    const conversation = { id: newId('conv'), user_id: null, channel: 'whatsapp', direction: 'inbound', status: 'open', department: 'support', context: { customer_tier: 'gold' }, client_data: {}, custom_fields: {}, agent_config: {}, created_at: createdAt };
    const companyId = newId('cmp');
    o.log(`  peer-bullmq: adding ${o.events} jobs`);
    let added = 0;
    await withProgress(o.log, 'peer-bullmq', () => ({ done: added, total: o.events, unit: 'jobs added' }), async () => {
      while (added < o.events) {
        const n = Math.min(1000, o.events - added);
        const jobs = Array.from({ length: n }, (_, i) => {
          const id = newId('evt');
          const body = messageEnvelope({ id, companyId, sequence: added + i + 1, createdAt, conversation, messageId: newId('msg'), text: messageText(600, i % 6) });
          return { name: 'message.received', data: { id, body }, opts: { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 3000 }, removeOnComplete: true } };
        });
        await queue.addBulk(jobs);
        added += n;
      }
    });
    const w = await forkReady<{ type: string }>(path.join(BENCH, 'peer-bullmq-worker.ts'), [String(redis.port), receiver.urls[0] + '/hooks/peer', secret, '64']);
    const started = nowMs();
    worker = w.child;
    const sampler = rssSampler(() => [worker?.pid, redis.child.pid]);
    const notes: string[] = [];
    let delivered = 0;
    await withProgress(o.log, 'peer-bullmq', () => ({ done: delivered, total: o.events, unit: 'delivered' }), async () => {
      const arrived = await untilArrived(receiver, o.events, (n) => (delivered = n));
      if (arrived.stalled) notes.push(arrived.stalled);
      // "Recorded": BullMQ has moved every job to completed.
      for (const deadline = nowMs() + 30_000; nowMs() < deadline; await sleep(RECORDED_POLL_MS)) {
        const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
        if (Object.values(c as Record<string, number>).every((v) => v === 0)) break;
      }
    });
    const end = nowMs();
    const stats = (await receiver.stats()).listeners[0]!;
    const t0 = Math.min(started, stats.firstMs ?? Infinity);
    const rssPeak = sampler.stop();
    notes.push('rss = worker + redis-server');
    if (stats.duplicates) notes.push(`${stats.duplicates} duplicates`);
    await queue.close();
    return { rate: delivered / ((end - t0) / 1000), delivered, rssPeak, redis: redis.version, notes };
  } finally {
    if (worker) await stopChild(worker, 3000);
    await stopChild(redis.child, 3000);
    await receiver.stop();
  }
}
