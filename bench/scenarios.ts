import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { closedLoop, liveCounts, openLoop, summarise, type LiveCounts, type LoadResult } from './lib/load.ts';
import type { ListenerStats, ReceiverStats } from './receiver.ts';
import { progress, withProgress } from './lib/progress.ts';
import { BENCH, ROOT, cpuMs, forkReady, nowMs, pollGapMs, RECORDED_POLL_MS, rssSampler, runScript, sleep, startReceiver, startServer, stopChild, type Receiver, type ServerProc } from './lib/proc.ts';
import { api, ApiError, type Api } from './lib/api.ts';
import { conversationRequest, messageEnvelope, messageRequest, messageText } from './lib/payload.ts';
import { decodeSecret, generateSecret, signatureHeader } from '../src/domain/signing.ts';
import type { Row } from './lib/report.ts';
import type { SeedSpec } from './seed.ts';
import type { AttemptSeedSpec } from './seed-attempts.ts';
import { ConsoleClient } from '../test/helpers/console-client.ts';

/** The scenarios of BENCHMARKS.md. Each returns one Row; it throws NotRun when it cannot run here. */

export interface BenchOptions {
  /** PostgreSQL server for postgres-drain; a fresh database is created on it and dropped. */
  databaseUrl: string;
  backlogSize: number;
  maxDrainSeconds: number;
  /** Verify every delivery's signature in the receiver (costs receiver CPU; off by default). */
  verify: boolean;
  log: (line: string) => void;
}

/** Figures of other scenarios measured earlier in the same run, by scenario name (ratios are always same-run). */
export type Baselines = Partial<Record<string, Row>>;

export class NotRun extends Error {}

export const IN_FLIGHT = 64;
/** max_in_flight of the throughput scenarios' endpoints. */
export const ENDPOINT_MAX_IN_FLIGHT = 64;

const row = (r: Partial<Row>): Row => ({ deliveries_per_s: null, ratio: null, p50_ms: null, p99_ms: null, rss_mb: null, n: null, notes: '', ...r });
const round = (v: number | null, d = 2) => (v === null ? null : Math.round(v * 10 ** d) / 10 ** d);
const ratioOf = (a: number | null | undefined, b: number | null | undefined) => (a && b ? round(a / b, 3) : null);

// ---------------------------------------------------------------------------------------------
// raw: the physical limit, undici straight to the receiver

export async function raw(o: BenchOptions): Promise<Row> {
  const secret = generateSecret();
  const receiver = await startReceiver({ verify: o.verify ? { 0: secret } : {} });
  try {
    const id = 'evt_' + crypto.randomBytes(13).toString('hex').slice(0, 26).toUpperCase();
    const ts = Math.floor(Date.now() / 1000);
    const createdAt = new Date().toISOString();
    const body = messageEnvelope({
      id, companyId: 'cmp_BENCH', sequence: 1, createdAt, messageId: 'msg_BENCH', text: messageText(600),
      conversation: { id: 'conv_BENCH', user_id: null, channel: 'whatsapp', direction: 'inbound', status: 'open', end_status: null, agent_id: null, assignee: null, department: 'support', context: { customer_tier: 'gold', locale: 'en-GB' }, client_data: { crm_id: 'crm-100000' }, custom_fields: {}, agent_config: {}, created_at: createdAt },
    });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Switchboard-Webhooks/bench',
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signatureHeader([decodeSecret(secret)], id, ts, body),
    };
    const sampler = rssSampler(() => [process.pid]);
    const live = liveCounts();
    const r = await withProgress(o.log, 'raw', () => ({ done: live.answered, unit: 'requests answered' }), () =>
      closedLoop({ origin: receiver.urls[0]!, path: '/hooks/raw', headers, body, expect: 200, inFlight: IN_FLIGHT, live }),
    );
    const rss = sampler.stop();
    const stats = await receiver.stats();
    const notes = [`${Buffer.byteLength(body)} B body, ${IN_FLIGHT} in flight, ${r.seconds.toFixed(1)} s; rss = the sending process`];
    if (o.verify) notes.push(`signatures verified ${stats.listeners[0]!.verified}, bad ${stats.listeners[0]!.badSignatures}`);
    if (r.errors) notes.push(`${r.errors} errors (${r.firstError})`);
    return row({ deliveries_per_s: round(r.perSecond, 0), ratio: 1, p50_ms: round(r.p50), p99_ms: round(r.p99), rss_mb: round(rss, 0), n: r.ok, notes: notes.join('; ') });
  } finally {
    await receiver.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Fixture: a store with a company, conversations and endpoints made through the real API

interface EndpointSpec {
  listener: number;
  maxInFlight?: number;
  timeoutMs?: number;
  /** For the dead endpoint: keep it active as long as the API allows (failure_threshold 100). */
  neverFail?: boolean;
}

interface Fixture {
  dataDir: string;
  databaseUrl: string | null;
  ownerKey: string;
  masterKey: string;
  companyId: string;
  conversations: Record<string, unknown>[];
  webhooks: { id: string; secret: string | null; listener: number }[];
  start(role?: 'api' | 'worker' | 'all'): Promise<ServerProc>;
  /** Seeds the backlog in bench/seed.ts; `onProgress` hears the events written so far. */
  seed(webhookIds: string[], events: number, onProgress?: (events: number) => void): Promise<{ events: number; deliveries: number; ms: number }>;
  /** Pending deliveries of these endpoints (null when it cannot be asked). */
  pending(webhookIds: string[], server: ServerProc | null): Promise<number | null>;
  cleanup(): Promise<void>;
}

async function createPgDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = 'sb_bench_' + crypto.randomBytes(5).toString('hex');
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (err) {
    throw new NotRun(`no PostgreSQL at ${new URL(adminUrl).host} (${(err as Error).message})`);
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

async function createFixture(o: {
  receiver: Receiver;
  endpoints: EndpointSpec[];
  conversations: number;
  postgres?: string;
  /** Keep the setup server running and return it (role all), instead of stopping it for seeding. */
  keep?: boolean;
  log: (s: string) => void;
}): Promise<{ fx: Fixture; server: ServerProc | null }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  const pgdb = o.postgres ? await createPgDatabase(o.postgres) : null;
  const ownerKey = 'sk_bench_' + crypto.randomBytes(24).toString('base64url');
  const masterKey = crypto.randomBytes(32).toString('hex');
  const databaseUrl = pgdb?.url ?? null;
  const start = (role: 'api' | 'worker' | 'all' = 'all') => startServer({ dataDir, databaseUrl, role, ownerKey, masterKey });
  let server: ServerProc | null = await start(o.keep ? 'all' : 'api');
  const cleanup = async () => {
    if (server) await server.stop();
    await pgdb?.drop().catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const client = api(server.url!, ownerKey);
    const conversations: Record<string, unknown>[] = [];
    for (let i = 0; i < o.conversations; i++) conversations.push(await client.must('POST', '/v1/conversations', conversationRequest(i), 201));
    const events = await client.must<{ data: { company_id: string }[] }>('GET', '/v1/events?limit=1', undefined, 200);
    const companyId = events.data[0]?.company_id;
    if (!companyId) throw new Error('could not learn the company id from GET /v1/events');
    const webhooks: Fixture['webhooks'] = [];
    for (const [i, e] of o.endpoints.entries()) {
      const wh = await createEndpoint(client, o.receiver.urls[e.listener]! + `/hooks/${i}`, e);
      const s = await client.call<{ secret?: string }>('GET', `/v1/webhooks/${wh}/secret`);
      webhooks.push({ id: wh, secret: s.status === 200 ? (s.body.secret ?? null) : null, listener: e.listener });
    }
    if (!o.keep) {
      await server.stop();
      server = null;
    }
    const fx: Fixture = {
      dataDir, databaseUrl, ownerKey, masterKey, companyId, conversations, webhooks, start,
      seed: (webhookIds, n, onProgress) => {
        const spec: SeedSpec = { dataDir, databaseUrl, companyId, conversations, webhookIds, events: n };
        return runScript(path.join(BENCH, 'seed.ts'), [JSON.stringify(spec)], 120_000 + n * 2, onProgress);
      },
      async pending(webhookIds, via) {
        if (databaseUrl) {
          const c = new pg.Client({ connectionString: databaseUrl });
          await c.connect();
          try {
            const r = await c.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending' AND webhook_id = ANY($1)`, [webhookIds]);
            return Number(r.rows[0].n);
          } finally {
            await c.end();
          }
        }
        if (!via?.url) return null;
        const cl = api(via.url, ownerKey);
        let total = 0;
        for (const id of webhookIds) {
          const r = await cl.call<{ data?: unknown[] }>('GET', `/v1/webhooks/${id}/deliveries?status=pending&limit=1`);
          if (r.status !== 200 || !Array.isArray(r.body?.data)) return null;
          total += r.body.data.length;
        }
        return total;
      },
      async cleanup() {
        await pgdb?.drop().catch(() => {});
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
    return { fx, server };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function createEndpoint(client: Api, url: string, e: EndpointSpec): Promise<string> {
  const body: Record<string, unknown> = {
    url,
    description: 'benchmark receiver',
    events: ['message.received'],
    max_in_flight: e.maxInFlight ?? ENDPOINT_MAX_IN_FLIGHT,
    timeout_ms: e.timeoutMs ?? 10_000,
  };
  if (e.neverFail) body.failure_threshold = 100; // the API's maximum
  let r = await client.call<{ id?: string; error?: { param?: string; message?: string } }>('POST', '/v1/webhooks', body);
  // Limits are the API's business: when a value is out of its range, fall back to its default
  // rather than fail the run (the notes of the scenario say what was asked).
  for (let tries = 0; r.status === 422 && tries < 3; tries++) {
    const param = r.body?.error?.param?.replace(/^\//, '');
    if (!param || !(param in body) || param === 'url') break;
    delete body[param];
    r = await client.call('POST', '/v1/webhooks', body);
  }
  if (r.status === 404 || r.status === 405) throw new NotRun(`POST /v1/webhooks is not available yet (${r.status})`);
  if (r.status !== 201 && r.status !== 200) throw new ApiError(r.status, `POST /v1/webhooks answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body.id!;
}

// ---------------------------------------------------------------------------------------------
// Draining a seeded backlog and timing it

interface DrainResult {
  delivered: number;
  expected: number;
  seconds: number;
  rate: number | null;
  rssPeak: number;
  duplicates: number;
  badSignatures: number;
  verified: number;
  notes: string[];
}

async function measureDrain(o: {
  receiver: Receiver;
  listeners: number[];
  expected: number;
  procs: ServerProc[];
  pending: () => Promise<number | null>;
  maxMs: number;
  label: string;
  log: (s: string) => void;
}): Promise<DrainResult> {
  const sampler = rssSampler(() => o.procs.map((p) => p.pid));
  const cpuAtStart = o.procs.map((p) => cpuMs(p.pid) ?? 0);
  const began = nowMs();
  let delivered = 0;
  let duplicates = 0;
  let lastProgress = began;
  let recording = false;
  let first: number | null = null;
  let last: number | null = null;
  let verified = 0;
  let badSignatures = 0;
  let lastSeen: ListenerStats[] = [];
  const notes: string[] = [];
  const stopProgress = progress(o.log, o.label, () => ({
    done: delivered, total: o.expected, unit: 'delivered',
    extra: `rss ${Math.round(sampler.peak())} MB peak${recording ? '; waiting for the store to record the last' : ''}`,
  }));
  let t0: number;
  let tEnd: number;
  try {
    for (;;) {
      await sleep(pollGapMs(delivered, o.expected, began));
      const s = await o.receiver.stats();
      const ls = o.listeners.map((i) => s.listeners[i]!);
      lastSeen = ls;
      const d = ls.reduce((a, l) => a + l.unique, 0);
      duplicates = ls.reduce((a, l) => a + l.duplicates, 0);
      verified = ls.reduce((a, l) => a + l.verified, 0);
      badSignatures = ls.reduce((a, l) => a + l.badSignatures, 0);
      const firsts = ls.map((l) => l.firstMs).filter((v): v is number => v !== null);
      const lasts = ls.map((l) => l.lastMs).filter((v): v is number => v !== null);
      first = firsts.length ? Math.min(...firsts) : null;
      last = lasts.length ? Math.max(...lasts) : null;
      const t = nowMs();
      if (d > delivered) {
        delivered = d;
        lastProgress = t;
      }
      if (delivered >= o.expected) break;
      if (t - lastProgress > 30_000) {
        notes.push(`stalled at ${delivered} of ${o.expected} (nothing new for 30 s)`);
        break;
      }
      if (t - began > o.maxMs) {
        notes.push(`stopped after ${Math.round(o.maxMs / 1000)} s with ${delivered} of ${o.expected} delivered`);
        break;
      }
    }
    t0 = Math.min(...o.procs.map((p) => p.readyAtMs), first ?? Infinity);
    tEnd = last ?? nowMs();
    if (delivered >= o.expected) {
      // "Delivered and recorded": wait until the store has no pending delivery left.
      recording = true;
      const deadline = nowMs() + 60_000;
      for (;;) {
        const p = await o.pending().catch(() => null);
        if (p === null) {
          notes.push('recording not checked (pending deliveries could not be listed)');
          break;
        }
        if (p === 0) {
          tEnd = Math.max(tEnd, nowMs());
          break;
        }
        if (nowMs() > deadline) {
          notes.push(`${p} still pending 60 s after the last arrival`);
          break;
        }
        await sleep(RECORDED_POLL_MS);
      }
    }
  } finally {
    stopProgress();
  }
  const rssPeak = sampler.stop();
  const cpu = o.procs.reduce((sum, p, i) => sum + (cpuMs(p.pid) ?? cpuAtStart[i]!) - cpuAtStart[i]!, 0);
  if (delivered > 0) notes.push(`server CPU ${Math.round((cpu * 1000) / delivered)} µs/delivery`);
  const warm = warmRate(lastSeen);
  if (warm !== null) notes.push(`${Math.round(warm)}/s after the first second`);
  const seconds = (tEnd - t0) / 1000;
  if (duplicates) notes.push(`${duplicates} duplicate arrivals`);
  if (badSignatures) notes.push(`${badSignatures} bad signatures`);
  return { delivered, expected: o.expected, seconds, rate: seconds > 0 && delivered > 0 ? delivered / seconds : null, rssPeak, duplicates, verified, badSignatures, notes };
}

/**
 * The rate once warm: arrivals after the drain's first second (from the earliest first arrival of
 * its listeners), over the time from then to the last arrival. A drain of a few seconds spends its
 * first half second or so at a fraction of its rate while the JIT warms up; this says what it ran
 * at afterwards (null for drains under 2 s). Each listener counts per 250 ms from its own first
 * arrival, so a listener whose first came later skips fewer of its quarters (none past a second);
 * an endpoint served after the others would otherwise lose its first second too.
 */
export function warmRate(listeners: Pick<ListenerStats, 'firstMs' | 'lastMs' | 'perQuarterSecond'>[]): number | null {
  const firsts = listeners.map((l) => l.firstMs).filter((v): v is number => v !== null);
  const lasts = listeners.map((l) => l.lastMs).filter((v): v is number => v !== null);
  if (firsts.length === 0) return null;
  const from = Math.min(...firsts) + 1000;
  const to = Math.max(...lasts);
  if (to - from < 1000) return null;
  const after = listeners.reduce((sum, l) => {
    if (l.firstMs === null) return sum;
    const skip = Math.max(0, Math.ceil((from - l.firstMs) / 250));
    return sum + l.perQuarterSecond.slice(skip).reduce((a, n) => a + n, 0);
  }, 0);
  return after / ((to - from) / 1000);
}

/** Seeds `events` events for the endpoints, starts the server(s) and times the drain. */
async function seededDrain(o: {
  opts: BenchOptions;
  label: string;
  events: number;
  endpoints: EndpointSpec[];
  /** Endpoints (indexes into `endpoints`) whose deliveries are counted and awaited. */
  measured?: number[];
  listeners: number;
  hang?: number[];
  postgres?: string;
  workers?: number;
  phases?: number[][];
}): Promise<{ results: DrainResult[]; seeded: { ms: number; deliveries: number }[] }> {
  const { opts } = o;
  const receiver = await startReceiver({ listeners: o.listeners, hang: o.hang });
  let fx: Fixture | null = null;
  try {
    ({ fx } = await createFixture({ receiver, endpoints: o.endpoints, conversations: 64, postgres: o.postgres, log: opts.log }));
    const f = fx;
    if (opts.verify) for (const w of f.webhooks) if (w.secret) await receiver.setSecret(w.listener, w.secret);
    const measured = o.measured ?? o.endpoints.map((_, i) => i);
    const measuredIds = measured.map((i) => f.webhooks[i]!.id);
    const measuredListeners = [...new Set(measured.map((i) => f.webhooks[i]!.listener))];
    const results: DrainResult[] = [];
    const seeded: { ms: number; deliveries: number }[] = [];
    for (const phase of o.phases ?? [o.endpoints.map((_, i) => i)]) {
      opts.log(`  ${o.label}: seeding ${o.events} events x ${phase.length} endpoint(s)`);
      let seededEvents = 0;
      const s = await withProgress(opts.log, `${o.label}: seeding`, () => ({ done: seededEvents, total: o.events, unit: 'events written' }), () =>
        f.seed(phase.map((i) => f.webhooks[i]!.id), o.events, (d) => (seededEvents = d)),
      );
      seeded.push(s);
      opts.log(`  ${o.label}: seeded ${s.deliveries} deliveries in ${(s.ms / 1000).toFixed(1)} s; starting ${o.workers ? `${o.workers} worker processes` : 'the server'}`);
      await receiver.reset();
      const procs = o.workers
        ? await Promise.all(Array.from({ length: o.workers }, () => f.start('worker')))
        : [await f.start('all')];
      try {
        const expected = o.events * measured.filter((i) => phase.includes(i)).length;
        results.push(
          await measureDrain({
            receiver, listeners: measuredListeners, expected, procs, maxMs: opts.maxDrainSeconds * 1000, label: o.label, log: opts.log,
            pending: () => f.pending(measuredIds.filter((_, k) => phase.includes(measured[k]!)), procs[0]!),
          }),
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${procs.map((p) => p.logTail()).join('\n')}`);
      } finally {
        await Promise.all(procs.map((p) => p.stop(10_000)));
      }
    }
    return { results, seeded };
  } finally {
    await receiver.stop();
    await fx?.cleanup();
  }
}

const drainNotes = (r: DrainResult, extra: string[]) => [...extra, ...r.notes].join('; ');

// ---------------------------------------------------------------------------------------------

export async function drain(o: BenchOptions, base: Baselines, events = 50_000): Promise<Row> {
  const { results } = await seededDrain({ opts: o, label: 'drain', events, endpoints: [{ listener: 0 }], listeners: 1 });
  const r = results[0]!;
  return row({
    deliveries_per_s: round(r.rate, 0), ratio: ratioOf(r.rate, base.raw?.deliveries_per_s), rss_mb: round(r.rssPeak, 0), n: r.delivered,
    notes: drainNotes(r, [`${events} events, 1 endpoint (max_in_flight ${ENDPOINT_MAX_IN_FLIGHT}), SQLite, ${r.seconds.toFixed(1)} s`]),
  });
}

export async function fanout(o: BenchOptions, base: Baselines, events = 5_000): Promise<Row> {
  const endpoints = Array.from({ length: 10 }, (_, i) => ({ listener: i }));
  const { results } = await seededDrain({ opts: o, label: 'fanout', events, endpoints, listeners: 10 });
  const r = results[0]!;
  return row({
    deliveries_per_s: round(r.rate, 0), ratio: ratioOf(r.rate, base.raw?.deliveries_per_s), rss_mb: round(r.rssPeak, 0), n: r.delivered,
    notes: drainNotes(r, [`${events} events x 10 endpoints (10 origins), SQLite, ${r.seconds.toFixed(1)} s`]),
  });
}

export async function isolation(o: BenchOptions, events = 3_000): Promise<Row> {
  // Listener 9 reads requests and never answers; its endpoint times out after 5 s and is kept
  // active (failure_threshold very high) so it goes on holding its slots for the whole run.
  const endpoints: EndpointSpec[] = Array.from({ length: 10 }, (_, i) => (i === 9 ? { listener: 9, timeoutMs: 5000, neverFail: true } : { listener: i, timeoutMs: 5000 }));
  const healthy = endpoints.slice(0, 9).map((_, i) => i);
  const { results } = await seededDrain({
    opts: o, label: 'isolation', events, endpoints, listeners: 10, hang: [9], measured: healthy,
    // Phase 1: the 9 healthy endpoints alone; phase 2: the same load plus the dead endpoint.
    phases: [healthy, [...healthy, 9]],
  });
  const [alone, withDead] = results as [DrainResult, DrainResult];
  return row({
    deliveries_per_s: round(withDead.rate, 0), ratio: ratioOf(withDead.rate, alone.rate), rss_mb: round(Math.max(alone.rssPeak, withDead.rssPeak), 0), n: withDead.delivered,
    notes: [
      `healthy deliveries/s: ${Math.round(alone.rate ?? 0)} alone vs ${Math.round(withDead.rate ?? 0)} next to a dead endpoint (timeout 5 s); ${events} events x 9 healthy endpoints per phase`,
      ...alone.notes.map((n) => `alone: ${n}`),
      ...withDead.notes.map((n) => `with dead: ${n}`),
    ].join('; '),
  });
}

export async function backlog(o: BenchOptions, base: Baselines): Promise<Row> {
  const { results, seeded } = await seededDrain({ opts: o, label: 'backlog', events: o.backlogSize, endpoints: [{ listener: 0 }], listeners: 1 });
  const r = results[0]!;
  const notes = [`${o.backlogSize} pending deliveries (seeded in ${(seeded[0]!.ms / 1000).toFixed(0)} s), 1 endpoint, SQLite, ${r.seconds.toFixed(1)} s; rss = server peak over the drain`];
  if (r.rssPeak > 300) notes.push(`RSS ${Math.round(r.rssPeak)} MB exceeds 300 MB`);
  if (!base.drain?.deliveries_per_s) notes.push('no drain figure in this run to compare with');
  return row({
    deliveries_per_s: round(r.rate, 0), ratio: ratioOf(r.rate, base.drain?.deliveries_per_s), rss_mb: round(r.rssPeak, 0), n: r.delivered,
    notes: drainNotes(r, notes),
  });
}

/** Worker processes of the PostgreSQL drains (Switchboard's and graphile-worker's). */
export const POSTGRES_WORKERS = 2;

export async function postgresDrain(o: BenchOptions, base: Baselines, events = 50_000): Promise<Row> {
  const { results } = await seededDrain({ opts: o, label: 'postgres-drain', events, endpoints: [{ listener: 0 }], listeners: 1, postgres: o.databaseUrl, workers: POSTGRES_WORKERS });
  const r = results[0]!;
  return row({
    deliveries_per_s: round(r.rate, 0), ratio: ratioOf(r.rate, base.raw?.deliveries_per_s), rss_mb: round(r.rssPeak, 0), n: r.delivered,
    notes: drainNotes(r, [`${events} events, 1 endpoint, PostgreSQL, ${POSTGRES_WORKERS} \`serve --role worker\` processes (rss = their sum), ${r.seconds.toFixed(1)} s`]),
  });
}

// ---------------------------------------------------------------------------------------------
// peer-graphile-worker: the postgres-drain without Switchboard (graphile-worker, undici, standardwebhooks)

export async function peerGraphileWorker(o: BenchOptions, base: Baselines, events = 50_000): Promise<Row> {
  try {
    await import('graphile-worker');
  } catch {
    throw new NotRun('graphile-worker is not installed (a dev dependency: run npm ci)');
  }
  const pgdb = await createPgDatabase(o.databaseUrl);
  try {
    const { runPeerGraphileWorker } = await import('./peer-graphile-worker.ts');
    const r = await runPeerGraphileWorker({ databaseUrl: pgdb.url, events, workers: POSTGRES_WORKERS, log: o.log, verify: o.verify });
    const s = r.settings;
    return row({
      deliveries_per_s: round(r.rate, 0), ratio: ratioOf(base['postgres-drain']?.deliveries_per_s, r.rate), rss_mb: round(r.rssPeak, 0), n: r.delivered,
      notes: [
        `graphile-worker ${r.version}, ${events} jobs added up front with addJobs, ${POSTGRES_WORKERS} worker processes as postgres-drain, each concurrency ${s.concurrency} (as a Switchboard worker's ${ENDPOINT_MAX_IN_FLIGHT} in flight to the endpoint), pool ${s.maxPoolSize}, localQueue ${s.localQueueSize}, completeJobBatchDelay ${s.completeJobBatchDelay}; the task signs with standardwebhooks and POSTs with undici (keep-alive Agent); PostgreSQL, ${r.seconds.toFixed(1)} s; rss = the workers' sum; ratio = postgres-drain / this`,
        ...r.notes,
      ].join('; '),
    });
  } finally {
    await pgdb.drop().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// api: POST /v1/messages vs a bare Fastify route, same run

export async function apiScenario(o: BenchOptions): Promise<Row> {
  const receiver = await startReceiver();
  let fx: Fixture | null = null;
  let server: ServerProc | null = null;
  try {
    // No webhook endpoint: this measures the API and the commit of message + event (the outbox),
    // not delivery, which the other scenarios measure.
    ({ fx, server } = await createFixture({ receiver, endpoints: [], conversations: 64, keep: true, log: o.log }));
    const convIds = fx.conversations.map((c) => String(c.id));
    const body = (i: number) => messageRequest(convIds[i % convIds.length]!, i);
    const headers = { authorization: `Bearer ${fx.ownerKey}`, 'content-type': 'application/json' };

    o.log('  api: bare Fastify baseline');
    const bare = await forkReady<{ type: string; url: string }>(path.join(BENCH, 'bare-server.ts'));
    let b;
    try {
      const live = liveCounts();
      b = await withProgress(o.log, 'api: bare Fastify', () => ({ done: live.answered, unit: 'requests answered' }), () =>
        closedLoop({ origin: bare.ready.url, path: '/v1/messages', headers, body, expect: 201, inFlight: IN_FLIGHT, live }),
      );
    } finally {
      await stopChild(bare.child, 3000);
    }
    o.log(`  api: bare ${Math.round(b.perSecond)}/s; now POST /v1/messages`);
    const sampler = rssSampler(() => [server?.pid]);
    const live = liveCounts();
    const a = await withProgress(o.log, 'api: POST /v1/messages', () => ({ done: live.answered, unit: 'requests answered' }), () =>
      closedLoop({ origin: server!.url!, path: '/v1/messages', headers, body, expect: 201, inFlight: IN_FLIGHT, live }),
    );
    const rss = sampler.stop();
    const notes = [
      `events committed/s; bare Fastify ${Math.round(b.perSecond)}/s (p99 ${b.p99?.toFixed(1)} ms); no webhook endpoint; 64 conversations; SQLite; ${IN_FLIGHT} in flight; p50/p99 = request round trip`,
    ];
    if (a.errors) notes.push(`${a.errors} errors (${a.firstError})`);
    if (b.errors) notes.push(`bare: ${b.errors} errors (${b.firstError})`);
    return row({ deliveries_per_s: round(a.perSecond, 0), ratio: ratioOf(a.perSecond, b.perSecond), p50_ms: round(a.p50), p99_ms: round(a.p99), rss_mb: round(rss, 0), n: a.ok, notes: notes.join('; ') });
  } finally {
    await server?.stop();
    await fx?.cleanup();
    await receiver.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Steady-rate phases: an open loop of POST /v1/messages, then commit-to-arrival at the receiver

interface SteadyResult {
  load: LoadResult & { sent: number };
  /** The receiver's stats once the phase's messages arrived (or the wait ran out) ... */
  stats: ReceiverStats;
  /** ... and the measured listener's among them. */
  arrivals: ReceiverStats['listeners'][number];
  /** Arrivals per second at the receiver, first to last arrival. */
  rate: number | null;
  p50: number | null;
  p99: number | null;
}

/**
 * One phase: resets the receiver, sends at `ratePerS` for `seconds` whatever the answers do, then
 * waits up to `settleMs` for the committed messages to arrive on `listener`.
 */
async function steadyPhase(o: {
  receiver: Receiver;
  listener: number;
  label: string;
  log: (s: string) => void;
  ratePerS: number;
  seconds: number;
  send: (durationMs: number, live: LiveCounts) => Promise<LoadResult & { sent: number }>;
  settleMs?: number;
}): Promise<SteadyResult> {
  await o.receiver.reset();
  const live = liveCounts();
  const total = Math.round(o.ratePerS * o.seconds);
  const load = await withProgress(o.log, o.label, () => ({ done: live.sent, total, unit: 'sent', extra: `${live.sent - live.answered} awaiting an answer` }), () =>
    o.send(o.seconds * 1000, live),
  );
  const deadline = nowMs() + (o.settleMs ?? 30_000);
  let arrived = 0;
  const stats = await withProgress(o.log, `${o.label}, waiting for arrivals`, () => ({ done: arrived, total: load.ok, unit: 'arrived' }), async () => {
    for (;;) {
      const st = await o.receiver.stats();
      arrived = st.listeners[o.listener]!.unique;
      if (arrived >= load.ok || nowMs() > deadline) return st;
      await sleep(100);
    }
  });
  const l = stats.listeners[o.listener]!;
  const rate = l.firstMs !== null && l.lastMs !== null && l.lastMs > l.firstMs ? l.unique / ((l.lastMs - l.firstMs) / 1000) : null;
  return { load, stats, arrivals: l, rate, ...summarise(stats.latencies) };
}

/** The fixture of the latency scenarios: one server (API and worker in one process), one endpoint, 64 conversations. */
async function latencyFixture(o: BenchOptions, receiver: Receiver) {
  const { fx, server } = await createFixture({ receiver, endpoints: [{ listener: 0 }], conversations: 64, keep: true, log: o.log });
  try {
    if (o.verify && fx.webhooks[0]!.secret) await receiver.setSecret(0, fx.webhooks[0]!.secret);
  } catch (err) {
    await server?.stop();
    await fx.cleanup();
    throw err;
  }
  const convIds = fx.conversations.map((c) => String(c.id));
  const headers = { authorization: `Bearer ${fx.ownerKey}`, 'content-type': 'application/json' };
  const sender = (ratePerS: number) => (durationMs: number, live: LiveCounts) =>
    openLoop({ origin: server!.url!, path: '/v1/messages', headers, body: (i) => messageRequest(convIds[i % convIds.length]!, i), expect: 201, ratePerS, durationMs, live });
  return { fx, server: server!, sender };
}

/** The latency target: commit-to-arrival p99 ≤ 25 ms. */
export const LATENCY_P99_MS = 25;

const COMMIT_TO_ARRIVAL =
  'commit-to-arrival = receiver arrival - envelope created_at (stamped in the transaction just before commit, ms precision)';

// ---------------------------------------------------------------------------------------------
// latency: a steady 1,000 events/s through the API, commit-to-arrival

export async function latency(o: BenchOptions, ratePerS = 1000, seconds = 20): Promise<Row> {
  const receiver = await startReceiver({ latency: true });
  let fx: Fixture | null = null;
  let server: ServerProc | null = null;
  try {
    const f = await latencyFixture(o, receiver);
    ({ fx, server } = f);
    const phase = (label: string, secs: number) => steadyPhase({ receiver, listener: 0, label, log: o.log, ratePerS, seconds: secs, send: f.sender(ratePerS) });
    o.log('  latency: 2 s warm-up');
    await phase('latency: warm-up', 2);
    o.log(`  latency: ${ratePerS}/s for ${seconds} s`);
    const sampler = rssSampler(() => [server?.pid]);
    const { load: r, arrivals: l, rate, p50, p99 } = await phase('latency', seconds);
    const rss = sampler.stop();
    const notes = [`${r.ok} messages sent at ${ratePerS}/s (API p99 ${r.p99?.toFixed(1)} ms); ${COMMIT_TO_ARRIVAL}`];
    if (l.unique < r.ok) notes.push(`only ${l.unique} of ${r.ok} arrived within 30 s of the last send`);
    if (r.errors) notes.push(`${r.errors} API errors (${r.firstError})`);
    if (l.duplicates) notes.push(`${l.duplicates} duplicates`);
    if (l.badSignatures) notes.push(`${l.badSignatures} bad signatures`);
    return row({ deliveries_per_s: round(rate, 0), ratio: p99 === null ? null : round(p99 / LATENCY_P99_MS, 3), p50_ms: round(p50), p99_ms: round(p99), rss_mb: round(rss, 0), n: l.unique, notes: notes.join('; ') });
  } finally {
    await server?.stop();
    await fx?.cleanup();
    await receiver.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// latency-max: steady rates stepped up until commit-to-arrival p99 passes 25 ms

export const LATENCY_MAX_STEPS = [500, 1000, 1500, 2000, 3000, 4000, 5000, 6000];
/** A step is held when the API commits and the receiver sees at least this share of the offered rate. */
const HELD_SHARE = 0.95;

export async function latencyMax(o: BenchOptions, base: Baselines, steps = LATENCY_MAX_STEPS, seconds = 10): Promise<Row> {
  const receiver = await startReceiver({ latency: true });
  let fx: Fixture | null = null;
  let server: ServerProc | null = null;
  try {
    const f = await latencyFixture(o, receiver);
    ({ fx, server } = f);
    o.log(`  latency-max: 2 s warm-up at ${steps[0]}/s`);
    await steadyPhase({ receiver, listener: 0, label: 'latency-max: warm-up', log: o.log, ratePerS: steps[0]!, seconds: 2, send: f.sender(steps[0]!) });
    const sampler = rssSampler(() => [server?.pid]);
    let held: { ratePerS: number; r: SteadyResult } | null = null;
    const stepNotes: string[] = [];
    let why = `every step up to ${steps.at(-1)}/s held`;
    for (const [k, ratePerS] of steps.entries()) {
      o.log(`  latency-max: step ${k + 1}/${steps.length}, ${ratePerS}/s for ${seconds} s`);
      const r = await steadyPhase({ receiver, listener: 0, label: `latency-max: ${ratePerS}/s`, log: o.log, ratePerS, seconds, send: f.sender(ratePerS), settleMs: 10_000 });
      const committed = r.load.ok / r.load.seconds;
      const failed: string[] = [];
      if (r.p99 === null || r.p99 > LATENCY_P99_MS) failed.push(`p99 ${r.p99?.toFixed(1) ?? '-'} ms > ${LATENCY_P99_MS} ms`);
      if (r.load.errors) failed.push(`${r.load.errors} API errors (${r.load.firstError})`);
      if (committed < HELD_SHARE * ratePerS) failed.push(`API committed only ${Math.round(committed)}/s`);
      if (r.arrivals.unique < r.load.ok) failed.push(`only ${r.arrivals.unique} of ${r.load.ok} arrived within 10 s of the last send`);
      else if ((r.rate ?? 0) < HELD_SHARE * ratePerS) failed.push(`arrivals only ${Math.round(r.rate ?? 0)}/s`);
      stepNotes.push(`${ratePerS}/s: p99 ${r.p99?.toFixed(1) ?? '-'} ms${failed.length ? ' ✗' : ' ✓'}`);
      o.log(`  latency-max: ${ratePerS}/s ${failed.length ? `not held (${failed.join(', ')})` : `held, p50 ${r.p50?.toFixed(1)} ms, p99 ${r.p99?.toFixed(1)} ms`}`);
      if (failed.length) {
        why = `${ratePerS}/s not held: ${failed.join(', ')}`;
        break;
      }
      held = { ratePerS, r };
    }
    const rss = sampler.stop();
    const notes = [
      `highest steady rate of POST /v1/messages with commit-to-arrival p99 ≤ ${LATENCY_P99_MS} ms and the API and receiver keeping up (≥ ${HELD_SHARE * 100} % of it), ${seconds} s per step, one \`serve\` (API and worker in one process), SQLite; ratio = that rate / raw`,
      `steps: ${stepNotes.join(', ')}`,
      why,
      COMMIT_TO_ARRIVAL,
    ];
    if (!held) notes.unshift(`no step held, not even ${steps[0]}/s`);
    const rate = held?.ratePerS ?? 0;
    return row({
      deliveries_per_s: rate, ratio: base.raw?.deliveries_per_s ? round(rate / base.raw.deliveries_per_s, 3) : null,
      p50_ms: round(held?.r.p50 ?? null), p99_ms: round(held?.r.p99 ?? null), rss_mb: round(rss, 0), n: held?.r.arrivals.unique ?? 0,
      notes: notes.join('; '),
    });
  } finally {
    await server?.stop();
    await fx?.cleanup();
    await receiver.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// peer-bullmq: the same drain without Switchboard (BullMQ on Redis, undici, node:crypto signing)

export async function peerBullmq(o: BenchOptions, base: Baselines, events = 50_000): Promise<Row> {
  try {
    await import('bullmq' as string);
  } catch {
    throw new NotRun('bullmq is not installed (a dev dependency: run npm ci)');
  }
  if (spawnSync('redis-server', ['--version']).error) throw new NotRun('no redis-server on the PATH');
  const { runPeerBullmq } = await import('./peer-bullmq.ts');
  const r = await runPeerBullmq({ events, log: o.log, verify: o.verify });
  return row({
    deliveries_per_s: round(r.rate, 0), ratio: ratioOf(base.drain?.deliveries_per_s, r.rate), rss_mb: round(r.rssPeak, 0), n: r.delivered,
    notes: [`BullMQ worker (concurrency ${IN_FLIGHT}) in its own process, Redis ${r.redis}; ratio = Switchboard drain / this`, ...r.notes].join('; '),
  });
}

export { ROOT };

// ---------------------------------------------------------------------------------------------
// console-overview: the console's home page over a million attempts

/** The overview's ranges, each drawn for the whole company and for one endpoint. */
const OVERVIEW_RANGES = ['1h', '24h', '7d'] as const;
export const OVERVIEW_TARGET_MS = 100;

export async function consoleOverview(o: BenchOptions, attempts = 1_000_000, renders = 40): Promise<Row> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  const ownerKey = 'sk_bench_' + crypto.randomBytes(24).toString('base64url');
  const masterKey = crypto.randomBytes(32).toString('hex');
  const email = 'bench@example.com';
  const password = 'bench-' + crypto.randomBytes(12).toString('hex');
  let server: ServerProc | null = null;
  try {
    // Setup through the real API and the console's first-run page, then stop for the seeder.
    server = await startServer({ dataDir, role: 'api', ownerKey, masterKey });
    const client = api(server.url!, ownerKey);
    const webhookIds: string[] = [];
    for (let i = 0; i < 10; i++) webhookIds.push(await createEndpoint(client, `http://127.0.0.1:9/hooks/${i}`, { listener: 0 }));
    const setup = new ConsoleClient(server.url!);
    await setup.get('/console/setup');
    const made = await setup.post('/console/setup', { key: ownerKey, email, name: 'Bench', password });
    if (made.status !== 303) throw new Error(`the console's first-run page answered ${made.status}: ${made.text.slice(0, 300)}`);
    await server.stop();
    server = null;

    const spec: AttemptSeedSpec = { dataDir, webhookIds, attempts, nowMs: Date.now(), failedWebhookIds: [webhookIds[9]!] };
    o.log(`   seeding ${attempts} attempts`);
    const seeded = await withProgress(o.log, 'console-overview', () => `seeding ${attempts} attempts`, () =>
      runScript<{ attempts: number; succeeded: number; retrying: number; failed: number; ms: number }>(path.join(BENCH, 'seed-attempts.ts'), [JSON.stringify(spec)], 600_000),
    );
    o.log(`   seeded in ${(seeded.ms / 1000).toFixed(1)} s`);

    server = await startServer({ dataDir, role: 'all', ownerKey, masterKey });
    const srv = server;
    const sampler = rssSampler(() => [srv.pid]);
    const c = new ConsoleClient(server.url!);
    const signed = await c.signIn(email, password);
    if (signed.status !== 303) throw new Error(`console sign-in answered ${signed.status}`);
    let rendered = 0;
    const render = async (url: string) => {
      const t = performance.now();
      const r = await c.get(url);
      const ms = performance.now() - t;
      rendered++;
      if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status}: ${r.text.slice(0, 300)}`);
      return { ms, text: r.text };
    };
    // The page must show what was seeded, or a fast figure means nothing: the 7-day legend counts every attempt.
    const week = (await render('/console/overview?range=7d')).text;
    const legend = /succeeded (\d+) · <span class="key key-retrying"><\/span> retrying (\d+) · <span class="key key-failed"><\/span> failed (\d+)/.exec(week);
    const shown = legend ? { succeeded: Number(legend[1]), retrying: Number(legend[2]), failed: Number(legend[3]) } : null;
    if (!shown || shown.succeeded !== seeded.succeeded || shown.retrying !== seeded.retrying || shown.failed !== seeded.failed) {
      throw new Error(`the 7-day overview shows ${JSON.stringify(shown)}, seeded ${JSON.stringify(seeded)}`);
    }
    if (!week.includes('banner-failed') || !/<circle class="point point-p99"/.test(week)) throw new Error('the 7-day overview lacks its Failed banner or latency points');

    const per: Record<string, number[]> = {};
    const total = OVERVIEW_RANGES.length * 2 * (3 + renders);
    rendered = 0;
    await withProgress(o.log, 'console-overview', () => ({ done: rendered, total, unit: 'renders' }), async () => {
      for (const range of OVERVIEW_RANGES) {
        const urls = [`/console/overview?range=${range}`, `/console/overview?range=${range}&webhook=${webhookIds[0]}`];
        for (const u of urls) for (let i = 0; i < 3; i++) await render(u); // warm-up: statement cache, JIT
        per[range] = [];
        for (let i = 0; i < renders; i++) for (const u of urls) per[range]!.push((await render(u)).ms);
      }
    });
    const rss = sampler.stop();
    const stats = OVERVIEW_RANGES.map((r) => ({ range: r, ...summarise(per[r]!) }));
    const p50 = Math.max(...stats.map((s) => s.p50 ?? 0));
    const p99 = Math.max(...stats.map((s) => s.p99 ?? 0));
    return row({
      ratio: round(p99 / OVERVIEW_TARGET_MS, 3), p50_ms: round(p50), p99_ms: round(p99), rss_mb: round(rss, 0), n: renders * 2 * OVERVIEW_RANGES.length,
      notes: [
        `GET /console/overview over HTTP with a console session, ${attempts} attempts (10 endpoints, 7 days; seeded in ${(seeded.ms / 1000).toFixed(0)} s), SQLite`,
        `${renders} renders x (company, one endpoint) per range, p50/p99 ms: ${stats.map((s) => `${s.range} ${s.p50?.toFixed(1)}/${s.p99?.toFixed(1)}`).join(', ')}`,
        `ratio = worst p99 / ${OVERVIEW_TARGET_MS} ms`,
        `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} CPUs`,
      ].join('; '),
    });
  } finally {
    if (server) await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// noisy-neighbour: company A's endpoint never answers, with max_in_flight 256 and a burst of
// 5,000 events; company B's healthy endpoint under a steady load, alone and then next to it

export interface NoisyOptions {
  /** Company A's burst. */
  events?: number;
  /** Company B's steady load, messages per second, and how long each phase lasts. */
  ratePerS?: number;
  seconds?: number;
}

export async function noisyNeighbour(o: BenchOptions, n: NoisyOptions = {}): Promise<Row> {
  const events = n.events ?? 5_000;
  const ratePerS = n.ratePerS ?? 200;
  const seconds = n.seconds ?? 6;
  const A_TIMEOUT_MS = 10_000;
  // Listener 0: company A's endpoint, reads every request and never answers. Listener 1: B's.
  const receiver = await startReceiver({ listeners: 2, hang: [0], latency: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  const ownerKey = 'sk_bench_' + crypto.randomBytes(24).toString('base64url');
  const adminToken = crypto.randomBytes(24).toString('base64url');
  let server: ServerProc | null = null;
  try {
    server = await startServer({ dataDir, role: 'all', ownerKey, masterKey: crypto.randomBytes(32).toString('hex'), env: { SWITCHBOARD_ADMIN_TOKEN: adminToken } });
    const url = server.url!;
    const a = api(url, ownerKey);
    const company = await api(url, adminToken).must<{ key: { key: string } }>('POST', '/v1/companies', { name: 'tenant-b' }, 201);
    const b = api(url, company.key.key);
    const stuck = await a.must<{ id: string }>('POST', '/v1/webhooks', {
      url: `${receiver.urls[0]}/hooks/a`, events: ['message.received'], max_in_flight: 256, timeout_ms: A_TIMEOUT_MS,
      // Kept active as long as the API allows, so it holds its slots for the whole measured phase.
      retry: { schedule: [] }, failure_threshold: 100,
    }, 201);
    await b.must('POST', '/v1/webhooks', { url: `${receiver.urls[1]}/hooks/b`, events: ['message.received'], max_in_flight: ENDPOINT_MAX_IN_FLIGHT }, 201);
    const aConvs: string[] = [];
    const bConvs: string[] = [];
    for (let i = 0; i < 16; i++) {
      aConvs.push(String((await a.must<{ id: string }>('POST', '/v1/conversations', conversationRequest(i), 201)).id));
      bConvs.push(String((await b.must<{ id: string }>('POST', '/v1/conversations', conversationRequest(i), 201)).id));
    }
    const headers = { authorization: `Bearer ${company.key.key}`, 'content-type': 'application/json' };
    const sendB = (durationMs: number, live: LiveCounts) =>
      openLoop({ origin: url, path: '/v1/messages', headers, body: (i) => messageRequest(bConvs[i % bConvs.length]!, i), expect: 201, ratePerS, durationMs, live });
    const steadyB = (label: string, secs: number) =>
      steadyPhase({ receiver, listener: 1, label: `noisy-neighbour: ${label}: company B at ${ratePerS}/s for ${secs} s`, log: o.log, ratePerS, seconds: secs, send: sendB });
    /** One measured phase of B's steady load: its arrival rate and commit-to-arrival latency. */
    const phase = async (label: string) => {
      const { load: r, stats, arrivals: l, rate, p50, p99 } = await steadyB(label, seconds);
      const notes: string[] = [];
      if (l.unique < r.ok) notes.push(`${label}: only ${l.unique} of ${r.ok} arrived within 30 s of the last send`);
      if (r.errors) notes.push(`${label}: ${r.errors} API errors (${r.firstError})`);
      return { rate, p50, p99, n: l.unique, notes, hangingA: stats.listeners[0]!.count };
    };

    o.log('  noisy-neighbour: 3 s warm-up');
    await steadyB('warm-up', 3);
    const sampler = rssSampler(() => [server?.pid]);
    const alone = await phase('B alone');

    // A's burst is committed while its endpoint is disabled and queued at once by `recover`, so
    // its 10 s timeouts start together and the whole measured phase runs while A hangs.
    o.log(`  noisy-neighbour: committing company A's burst of ${events} events`);
    await a.must('POST', `/v1/webhooks/${stuck.id}/disable`, undefined, 200);
    const since = new Date().toISOString();
    let next = 0;
    let committed = 0;
    await withProgress(o.log, "noisy-neighbour: company A's burst", () => ({ done: committed, total: events, unit: 'committed' }), () =>
      Promise.all(Array.from({ length: 32 }, async () => {
        while (next < events) {
          const i = next++;
          await a.must('POST', '/v1/messages', JSON.parse(messageRequest(aConvs[i % aConvs.length]!, i)), 201);
          committed++;
        }
      })),
    );
    await a.must('POST', `/v1/webhooks/${stuck.id}/enable`, undefined, 200);
    await receiver.reset();
    const queued = await a.must<{ count: number }>('POST', `/v1/webhooks/${stuck.id}/recover`, { since }, 200);
    const started = nowMs();
    // Wait until A's requests hang on its origin's connections before B's load starts.
    let aOnWire = 0;
    await withProgress(o.log, "noisy-neighbour: company A's requests on the wire", () => ({ done: aOnWire, total: 32, unit: 'hanging' }), async () => {
      for (;;) {
        aOnWire = (await receiver.stats()).listeners[0]!.count;
        if (aOnWire >= 32 || nowMs() - started > 10_000) return;
        await sleep(50);
      }
    });
    const withA = await phase('B next to A');
    const inPhase = (nowMs() - started) / 1000;
    const rss = sampler.stop();

    const p99Ratio = alone.p99 && withA.p99 ? withA.p99 / alone.p99 : null;
    const notes = [
      `company B at a steady ${ratePerS} messages/s for ${seconds} s: ${Math.round(alone.rate ?? 0)}/s alone (p99 ${alone.p99?.toFixed(1)} ms) vs ${Math.round(withA.rate ?? 0)}/s next to company A (p99 ${withA.p99?.toFixed(1)} ms); p99 ratio ${p99Ratio?.toFixed(2) ?? '-'} (target ≤ 2)`,
      `company A: ${queued.count} events queued at once for one endpoint that never answers (max_in_flight 256, timeout ${A_TIMEOUT_MS / 1000} s): ${aOnWire} of its requests hanging on its origin's connections (the rest of its slots wait for one) before B's phase, ${withA.hangingA} more reached it during the phase, which ended ${inPhase.toFixed(1)} s after A's were queued`,
      'p50/p99 = company B commit-to-arrival next to A; ratio = B arrivals/s next to A / alone',
      ...alone.notes,
      ...withA.notes,
    ];
    if (inPhase * 1000 > A_TIMEOUT_MS) notes.push(`B's phase outlasted A's first ${A_TIMEOUT_MS / 1000} s timeouts`);
    return row({
      deliveries_per_s: round(withA.rate, 0), ratio: ratioOf(withA.rate, alone.rate), p50_ms: round(withA.p50), p99_ms: round(withA.p99),
      rss_mb: round(rss, 0), n: withA.n, p99_ratio: round(p99Ratio, 3), notes: notes.join('; '),
    });
  } finally {
    // The receiver first: A's hanging requests then end at once, and the server stops without waiting them out.
    await receiver.stop();
    await server?.stop(15_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
