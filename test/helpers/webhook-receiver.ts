import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** As on the wire: name, value, name, value... (duplicates kept, which `headers` merges). */
  rawHeaders: string[];
  body: string;
  at: number;
}

export type Handler = (req: Received, res: http.ServerResponse) => void | Promise<void>;

export interface HookReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  requests: Received[];
  /** Replace to change how the receiver answers (default: 200 "ok"). */
  handle: Handler;
  /** Resolves with the requests once at least `n` arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 and a free port, over HTTP or (given a key and cert) HTTPS, whose
 * answers the test can change while it runs.
 */
export async function startHookReceiver(handle: Handler = okHandler, tls?: { key: string; cert: string }): Promise<HookReceiver> {
  const requests: Received[] = [];
  let waiters: (() => void)[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      requests.push(r);
      const ready = waiters;
      waiters = [];
      for (const w of ready) w();
      Promise.resolve(receiver.handle(r, res)).catch(() => res.destroy());
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const receiver: HookReceiver = {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    handle,
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`receiver got ${requests.length} of ${n} requests in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return requests.slice();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

export const okHandler: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

export const statusHandler =
  (status: number, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, headers).end(`status ${status}`);
  };

/** Polls `check` until it returns a truthy value; fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
