/**
 * The benchmark's webhook receiver: a separate Node process (forked by bench/run.ts with an IPC
 * channel) so that receiving never competes with the sender for the sender's event loop.
 *
 * It opens `--listeners K` node:http servers on 127.0.0.1 (port 0 each, so each is its own origin,
 * like K different customers), keeps connections alive, answers 200 with a small JSON body and
 * records, per listener, the arrival time (performance.timeOrigin + performance.now(), ms) of every
 * `webhook-id`. Options:
 *   --listeners K          how many listeners (default 1)
 *   --verify i=whsec_...   verify Standard Webhooks signatures on listener i (repeatable; counted, never refused)
 *   --hang i[,j...]        listeners that read the request and never answer (the "dead endpoint")
 *   --latency              parse the envelope's created_at and keep arrival - created_at per delivery
 *                          (answering listeners only)
 *
 * Parent -> child IPC: {cmd: 'stats'} | {cmd: 'reset'} | {cmd: 'verify', listener, secret} | {cmd: 'stop'}.
 * Child -> parent: {type: 'ready', ports: number[]} then one {type: 'stats', ...} per stats request.
 * GET /stats on any listener returns the same stats as JSON (handy when poking by hand).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { verify } from '../src/domain/signing.ts';

export interface ListenerStats {
  port: number;
  hang: boolean;
  /** Requests received (answered, or held open in hang mode). */
  count: number;
  /** Distinct webhook-ids. */
  unique: number;
  /** Requests whose webhook-id was already seen. */
  duplicates: number;
  /** Requests without a webhook-id header. */
  missingId: number;
  /** Arrival time (ms since the epoch, sub-ms precision) of the first and last request. */
  firstMs: number | null;
  lastMs: number | null;
  verified: number;
  badSignatures: number;
  bytes: number;
  /** Distinct webhook-ids per 250 ms since the first arrival: how a drain's rate moved (its warm-up). */
  perQuarterSecond: number[];
}

export interface ReceiverStats {
  type: 'stats';
  nowMs: number;
  listeners: ListenerStats[];
  /** arrival - envelope created_at, ms, for every delivery since the last reset (latency mode only). */
  latencies: number[];
}

interface Listener {
  server: http.Server;
  stats: ListenerStats;
  seen: Set<string>;
  secret: string | null;
}

const argv = process.argv.slice(2);
const opt = (name: string): string[] => {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === name && i + 1 < argv.length) out.push(argv[i + 1]!);
  return out;
};
const count = Number(opt('--listeners')[0] ?? '1');
const hang = new Set(opt('--hang').flatMap((s) => s.split(',')).filter(Boolean).map(Number));
const latencyMode = argv.includes('--latency');
const secrets = new Map<number, string>();
for (const v of opt('--verify')) {
  const eq = v.indexOf('=');
  secrets.set(eq > 0 ? Number(v.slice(0, eq)) : 0, eq > 0 ? v.slice(eq + 1) : v);
}

const now = () => performance.timeOrigin + performance.now();
const ANSWER = Buffer.from('{"received":true}');
const CREATED_AT = /"created_at":"([^"]+)"/;
let latencies: number[] = [];
const listeners: Listener[] = [];

function freshStats(port: number, isHang: boolean): ListenerStats {
  return { port, hang: isHang, count: 0, unique: 0, duplicates: 0, missingId: 0, firstMs: null, lastMs: null, verified: 0, badSignatures: 0, bytes: 0, perQuarterSecond: [] };
}

function snapshot(): ReceiverStats {
  return { type: 'stats', nowMs: now(), listeners: listeners.map((l) => ({ ...l.stats, unique: l.seen.size })), latencies };
}

function handler(l: Listener, index: number) {
  const needBody = () => latencyMode || l.secret !== null;
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method === 'GET' && req.url === '/stats') {
      const s = snapshot();
      const body = JSON.stringify({ ...s, latencies: s.latencies.length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const arrived = now();
    const st = l.stats;
    st.count++;
    st.firstMs ??= arrived;
    st.lastMs = arrived;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') {
      if (l.seen.has(id)) st.duplicates++;
      else {
        l.seen.add(id);
        // Quarters without an arrival count 0, so the list has no holes (it goes over IPC as JSON).
        const quarter = Math.floor((arrived - (st.firstMs ?? arrived)) / 250);
        while (st.perQuarterSecond.length <= quarter) st.perQuarterSecond.push(0);
        st.perQuarterSecond[quarter]! += 1;
      }
    } else {
      st.missingId++;
    }
    const finish = () => {
      if (hang.has(index)) return; // read it, never answer: the sender's timeout must fire
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
      res.end(ANSWER);
    };
    if (!needBody()) {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        st.bytes += bytes;
        finish();
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      st.bytes += body.length;
      // A never-answering listener's arrivals are not deliveries: keep them out of the latencies.
      if (latencyMode && !hang.has(index)) {
        const m = CREATED_AT.exec(body.slice(0, 400));
        if (m) latencies.push(arrived - Date.parse(m[1]!));
      }
      if (l.secret !== null) {
        const ok = verify(
          l.secret,
          { id: String(id ?? ''), timestamp: String(req.headers['webhook-timestamp'] ?? ''), signature: String(req.headers['webhook-signature'] ?? '') },
          body,
        );
        if (ok) st.verified++;
        else st.badSignatures++;
      }
      finish();
    });
  };
}

for (let i = 0; i < count; i++) {
  const l: Listener = { server: null as unknown as http.Server, stats: freshStats(0, hang.has(i)), seen: new Set(), secret: secrets.get(i) ?? null };
  l.server = http.createServer({ keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, handler(l, i));
  l.server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => l.server.once('error', reject).listen(0, '127.0.0.1', 1024, resolve));
  l.stats.port = (l.server.address() as AddressInfo).port;
  listeners.push(l);
}

process.on('message', (msg: { cmd: string; listener?: number; secret?: string }) => {
  if (msg.cmd === 'stats') process.send?.(snapshot());
  else if (msg.cmd === 'reset') {
    latencies = [];
    for (const l of listeners) {
      l.stats = freshStats(l.stats.port, l.stats.hang);
      l.seen = new Set();
    }
    process.send?.({ type: 'reset' });
  } else if (msg.cmd === 'verify' && msg.listener !== undefined) {
    const l = listeners[msg.listener];
    if (l) l.secret = msg.secret ?? null;
    process.send?.({ type: 'verify' });
  } else if (msg.cmd === 'stop') {
    for (const l of listeners) l.server.closeAllConnections();
    process.exit(0);
  }
});
// The parent went away: do not linger as an orphan holding ports.
process.on('disconnect', () => process.exit(0));

if (process.send) process.send({ type: 'ready', ports: listeners.map((l) => l.stats.port) });
else console.log(JSON.stringify({ ports: listeners.map((l) => l.stats.port) }));
