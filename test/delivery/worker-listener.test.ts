import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runToExit, startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { client, OWNER_KEY } from '../helpers/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { openDatabase } from '../../src/store/database.ts';
import { createMetrics } from '../../src/metrics.ts';
import { startWorkerListener } from '../../src/worker-listener.ts';

const METRICS_TOKEN = 'metrics-token-for-tests';

/** The value of one sample of the Prometheus text, or null when the series is absent. */
function sample(text: string, series: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return null;
}

async function until<T>(check: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('worker health and metrics listener (serve --role worker, SWITCHBOARD_WORKER_PORT)', () => {
  let pgdb: TestDatabase;
  let receiver: Receiver;
  const procs: ServerProcess[] = [];
  after(async () => {
    for (const p of procs) await p.stop();
    await receiver?.close();
    await pgdb?.drop();
  });

  it('answers /healthz, /readyz and /metrics, and /metrics counts the deliveries this worker made', async () => {
    pgdb = await createTestDatabase();
    receiver = await startReceiver();
    const env = {
      SWITCHBOARD_DATABASE_URL: pgdb.url,
      SWITCHBOARD_MASTER_KEY: pgdb.masterKey,
      SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY,
      SWITCHBOARD_ALLOW_HTTP: 'true',
      SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128',
      SWITCHBOARD_RATE_LIMIT: '0',
      SWITCHBOARD_METRICS_TOKEN: METRICS_TOKEN,
    };
    const apiProc = await startServerProcess(['--role', 'api'], env);
    procs.push(apiProc);
    const worker = await startServerProcess(['--role', 'worker'], { ...env, SWITCHBOARD_WORKER_PORT: '0' });
    procs.push(worker);
    assert.match(worker.workerUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, worker.stdout());
    const base = worker.workerUrl!;

    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok' });
    // The same metrics token as the API's /metrics.
    const refused = await fetch(`${base}/metrics`);
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.code, 'invalid_api_key');
    const unknown = await fetch(`${base}/v1/users`);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.code, 'route_not_found');

    const scrape = async () => {
      const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      return res.text();
    };
    const before = await scrape();
    assert.equal(sample(before, 'switchboard_deliveries_total{outcome="succeeded"}'), null, 'no delivery yet');
    assert.notEqual(sample(before, 'switchboard_delivery_queue_depth'), null);

    // A real delivery: the API process commits the event, the worker process sends it.
    const api = client(apiProc.url!, OWNER_KEY);
    const wh = await api.post('/v1/webhooks', { url: `${receiver.url}/hook`, events: ['user.created'] });
    assert.equal(wh.status, 201, wh.text);
    assert.equal((await api.post('/v1/users', { name: 'Ada' })).status, 201);
    await until(async () => receiver.arrivals.length >= 1, 10_000, 'the delivery');
    // The counter moves once the outcome is recorded, just after the arrival.
    const after = await until(async () => {
      const text = await scrape();
      return sample(text, 'switchboard_deliveries_total{outcome="succeeded"}') === 1 ? text : null;
    }, 10_000, 'the worker to count the delivery');
    assert.equal(sample(after, 'switchboard_delivery_attempt_duration_seconds_count{outcome="success"}'), 1);

    // The same rule as the API's own /metrics.
    assert.equal((await fetch(`${apiProc.url}/metrics`)).status, 401);
    // The API process did not send it, so its own metrics have no delivery to show.
    const apiMetrics = await (await fetch(`${apiProc.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    assert.equal(sample(apiMetrics, 'switchboard_deliveries_total{outcome="succeeded"}'), null);

    assert.equal(await worker.stop(), 0, worker.stderr());
    await assert.rejects(fetch(`${base}/healthz`), 'the listener closes with the worker');
  });

  it('a taken SWITCHBOARD_WORKER_PORT stops the start with one line naming the setting', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-worker-port-'));
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const r = await runToExit(['serve', '--role', 'worker'], { SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_WORKER_PORT: String(port) });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`^switchboard: SWITCHBOARD_WORKER_PORT ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('/readyz answers 503 unavailable once the store stops answering, /healthz still 200', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-worker-ready-'));
    const database = await openDatabase({ dataDir: data, databaseUrl: null, sqliteSynchronous: 'NORMAL' });
    const listener = await startWorkerListener({ host: '127.0.0.1', port: 0, database, metrics: createMetrics(), metricsToken: null });
    try {
      assert.equal((await fetch(`${listener.url}/readyz`)).status, 200);
      assert.equal((await fetch(`${listener.url}/metrics`)).status, 200, 'no token set: open, as on the API');
      await database.close();
      const res = await fetch(`${listener.url}/readyz`);
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error.code, 'unavailable');
      assert.equal((await fetch(`${listener.url}/healthz`)).status, 200);
    } finally {
      await listener.close();
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
