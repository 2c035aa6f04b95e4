import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Arrival {
  id: string;
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** 1-based count of arrivals of this webhook-id so far, including this one. */
  attempt: number;
}

/** What to answer; `hang` never answers, `reset` destroys the socket. */
export type Answer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang' | 'reset';

export interface Receiver {
  url: string;
  arrivals: Arrival[];
  /** Arrivals per webhook-id. */
  counts: Map<string, number>;
  /** Resolves once at least `n` requests arrived; rejects after `timeoutMs` saying how many did. */
  waitForArrivals(n: number, timeoutMs?: number): Promise<Arrival[]>;
  /**
   * Resolves once no client holds a connection open. After the sending process exited, that is
   * when every request it sent has been read (a socket closes after its data).
   */
  waitForNoConnections(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1; `decide` picks each answer (default 200). */
export async function startReceiver(decide: (a: Arrival) => Answer = () => ({ status: 200 })): Promise<Receiver> {
  const arrivals: Arrival[] = [];
  const counts = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  // Woken on every arrival: waitForArrivals resolves on the arrival that reaches its count.
  let waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      const attempt = (counts.get(id) ?? 0) + 1;
      counts.set(id, attempt);
      const arrival: Arrival = { id, at: Date.now(), path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), attempt };
      arrivals.push(arrival);
      const ready = waiters;
      waiters = [];
      for (const w of ready) w();
      const answer = decide(arrival);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      const send = () => {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body ?? '{"ok":true}');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 30_000;
  const sockets = new Set<import('node:net').Socket>();
  let closeWaiters: (() => void)[] = [];
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) {
        const ready = closeWaiters;
        closeWaiters = [];
        for (const w of ready) w();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    counts,
    async waitForArrivals(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (arrivals.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`receiver got ${arrivals.length} of ${n} requests in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return arrivals.slice();
    },
    async waitForNoConnections(timeoutMs = 10_000) {
      if (sockets.size === 0) return;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${sockets.size} connections still open after ${timeoutMs} ms`)), timeoutMs);
        closeWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
