/**
 * The store's share of a delivery, alone: claim -> record a success, looped over a seeded backlog
 * with no HTTP at all, in this process. Prints CPU µs per delivery (process.cpuUsage), the figure
 * a busy shared machine disturbs least. A tool for working on the queue's SQL, not a scenario.
 *
 *   node --import tsx bench/store-ops.ts [deliveries=20000] [postgres://...]
 *
 * CONVS (conversations the messages go round, default 64), CLAIM (deliveries per claim, default
 * 256) and REC (outcomes recorded together at most, default CLAIM) show how the cost per delivery
 * depends on the batch: it is mostly per COMMIT.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { createLogger, createPlatform } from '../src/platform.ts';
import { bootstrap } from '../src/services/bootstrap.ts';
import { claimDue } from '../src/store/queue.ts';
import { webhookRowsByIds } from '../src/store/webhooks.ts';
import { createOutcomeBatcher } from '../src/delivery/outcome-batcher.ts';
import { createEndpointCache } from '../src/delivery/endpoint-cache.ts';
import { buildSignedRequest } from '../src/delivery/request.ts';

const total = Number(process.argv[2] ?? 20000);
const databaseUrl = process.argv[3] ?? null;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-store-ops-'));
const config = loadConfig({}, { SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_ALLOW_HTTP: 'true', ...(databaseUrl ? { SWITCHBOARD_DATABASE_URL: databaseUrl, SWITCHBOARD_MASTER_KEY: crypto.randomBytes(32).toString('base64') } : {}) });
const platform = await createPlatform(config, createLogger('warn'));
const boot = (await bootstrap(platform, null))!;
const caller = { companyId: boot.companyId, keyId: 'key_bench', role: 'owner' as const };
await platform.services.webhooks.create(caller, { url: 'http://127.0.0.1:9/hook', events: ['message.received'], max_in_flight: 64 } as never);
const convs = await Promise.all(Array.from({ length: Number(process.env.CONVS ?? 64) }, () => platform.services.conversations.create(caller, { channel: 'whatsapp', direction: 'inbound' } as never)));
const text = 'Hello, I would like to change the delivery address of my order. '.repeat(10);
for (let i = 0; i < total; i += 256) {
  await Promise.all(Array.from({ length: Math.min(256, total - i) }, (_, k) =>
    platform.services.messages.create(caller, { conversation_id: convs[(i + k) % convs.length]!.id, direction: 'inbound', text })));
}
const endpoints = createEndpointCache(platform.secrets);
const outcomes = createOutcomeBatcher(platform);
const { db, dialect } = platform.database;
const result = { statusCode: 200, headers: { 'content-type': 'application/json', 'content-length': '17' }, body: '{"received":true}', truncated: false, durationMs: 2, error: null, errorCode: null };
// On PostgreSQL the server's share runs in its backends, on this machine: their CPU is read from
// /proc before and after (the pool keeps its connections, so the same backends do the work).
const backends = dialect === 'postgres' ? (await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db)).rows.map((r) => r.pid) : [];
const backendTicks = () => backends.reduce((sum, pid) => {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return sum + Number(f[11]) + Number(f[12]);
  } catch {
    return sum;
  }
}, 0);
// PROFILE=file.cpuprofile writes a CPU profile of the loop alone (not of the seeding).
const profiler = process.env.PROFILE ? await startProfile() : null;
const ticks0 = backendTicks();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let done = 0;
const pending: Promise<unknown>[] = [];
while (done < total) {
  const { claimed, events } = await claimDue(platform.database, { now: Date.now(), limit: Number(process.env.CLAIM ?? 256), expected: Number(process.env.CLAIM ?? 256), leaseMs: 30_000, exclude: [], room: () => 1000 });
  if (claimed.length === 0) { await Promise.all(pending); if (done >= total) break; continue; }
  const rows = await webhookRowsByIds(db, [...new Set(claimed.map((c) => c.webhook_id))]);
  const endpoint = endpoints.get(rows[0]!, Date.now());
  for (const claim of claimed) {
    const event = events.get(claim.event_id)!;
    const signed = buildSignedRequest(endpoint, { id: claim.event_id, body: event.payload, timestamp: Math.floor(Date.now() / 1000) });
    pending.push(outcomes.record({ claim, endpoint, eventType: event.type, at: new Date(), loggedHeaders: signed.loggedJson, result }).then(() => done++));
  }
  if (pending.length >= Number(process.env.REC ?? process.env.CLAIM ?? 256)) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
const cpu = process.cpuUsage(cpu0);
if (profiler) fs.writeFileSync(process.env.PROFILE!, JSON.stringify(await profiler()));
const wall = performance.now() - t0;
// Clock ticks are 1/100 s on Linux.
const server = dialect === 'postgres' ? `, PostgreSQL backends CPU ${Math.round(((backendTicks() - ticks0) * 10_000) / done)} µs/delivery (${backends.length} connections)` : '';
console.log(`${dialect}: ${done} deliveries, store CPU ${Math.round((cpu.user + cpu.system) / done)} µs/delivery${server}, wall ${Math.round((wall * 1000) / done)} µs/delivery`);
await platform.close();
fs.rmSync(dataDir, { recursive: true, force: true });

async function startProfile(): Promise<() => Promise<object>> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => (await session.post('Profiler.stop')).profile;
}
