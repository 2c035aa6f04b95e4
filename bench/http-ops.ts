/**
 * The HTTP share of a delivery, alone: N signed POSTs, 64 in flight, to a receiver in another
 * process, once with plain undici (the `raw` scenario's loop) and once through Switchboard's
 * outbound client. Prints CPU µs per request of this process for each.
 *
 *   node --import tsx bench/http-ops.ts [N=40000]
 */
import { Agent, request } from 'undici';
import { startReceiver } from './lib/proc.ts';
import { createHttpClient } from '../src/delivery/http-client.ts';
import { parseAllowList } from '../src/domain/address-policy.ts';

const N = Number(process.argv[2] ?? 40000);
const IN_FLIGHT = 64;
const receiver = await startReceiver();
const url = receiver.urls[0]! + '/hooks/ops';
const body = JSON.stringify({ type: 'message.received', data: { text: 'x'.repeat(1200) } });

async function loop(name: string, one: (i: number) => Promise<void>) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < N) await one(next++);
  }));
  const cpu = process.cpuUsage(cpu0);
  console.log(`${name}: ${Math.round((cpu.user + cpu.system) / N)} µs CPU/request, ${Math.round(N / ((performance.now() - t0) / 1000))} req/s`);
}

const agent = new Agent({ connections: 64 });
await loop('undici request', async () => {
  const r = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' }, dispatcher: agent });
  await r.body.text();
});
const client = createHttpClient({ allowHttp: true, allowTargets: parseAllowList('127.0.0.0/8'), userAgent: 'Switchboard-Webhooks/bench' });
await loop('switchboard http-client', async () => {
  await client.send({ path: 'delivery', method: 'POST', url, headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' }, body, timeoutMs: 10_000, maxResponseBytes: 65536 });
});
await client.close();
await agent.close();
await receiver.stop();
