import type { Logger } from 'pino';
import { Worker } from 'node:worker_threads';
import type { HttpClient, OutboundPath, OutboundRequest, OutboundResult } from './http-client.ts';

/**
 * The outbound client with event deliveries sent from a thread of their own. Sending is half of a
 * delivery's CPU (building the request, the socket writes, parsing the answer); on the event loop
 * it added to the store's half and to the API's requests, so each waited for the other. Here the
 * main thread claims and records, the sender thread sends, and the two overlap. The sender thread
 * runs the same createHttpClient (same target rules, pools per origin and path, deadlines), started
 * on the first delivery; setup and tool calls, answered to a waiting caller, stay on the local
 * client. Requests and answers cross in batches, one message per turn of each loop.
 */

/** What the sender thread builds its client from (structured-clonable: no parsed objects). */
export interface SenderSetup {
  /** SWITCHBOARD_ALLOW_TARGETS as configured. */
  allowTargets: string;
  allowHttp: boolean;
  /** Extra trusted CA certificate(s), PEM. */
  ca?: string;
  userAgent: string;
}

export type ToSender = { type: 'send'; requests: [number, OutboundRequest][] } | { type: 'close' };
export type FromSender =
  | { type: 'ready' }
  | { type: 'results'; results: [number, OutboundResult][] }
  | { type: 'log'; obj: object; msg: string }
  | { type: 'closed' };

export interface ThreadedHttpClientOptions {
  /** The client for the paths not sent from the thread. */
  local: HttpClient;
  setup: SenderSetup;
  /** The paths sent from the sender thread. */
  threaded: readonly OutboundPath[];
  logger: Pick<Logger, 'warn' | 'error'>;
}

const CLOSE_WAIT_MS = 15_000;

export function createThreadedHttpClient(o: ThreadedHttpClientOptions): HttpClient {
  const threaded = new Set<OutboundPath>(o.threaded);
  const pending = new Map<number, (r: OutboundResult) => void>();
  let nextId = 1;
  let queue: [number, OutboundRequest][] = [];
  let worker: Worker | null = null;
  let closing = false;

  function start(): Worker {
    const w = new Worker(BOOT, { eval: true, workerData: { ...o.setup, entry: ENTRY, tsx: TSX } });
    // Shutdown closes it (close()); it must not keep a process alive that forgot to.
    w.unref();
    w.on('message', (m: FromSender) => {
      if (m.type === 'results') {
        for (const [id, result] of m.results) {
          const resolve = pending.get(id);
          pending.delete(id);
          resolve?.(result);
        }
      } else if (m.type === 'log') o.logger.warn(m.obj, m.msg);
    });
    w.on('error', (err) => o.logger.error({ err }, 'the delivery sender thread failed'));
    w.on('exit', () => {
      if (worker === w) worker = null;
      // Whatever it had not answered fails like a dropped connection: retried on schedule.
      for (const [id, resolve] of pending) {
        pending.delete(id);
        resolve(stoppedResult());
      }
    });
    return w;
  }

  function flush(): void {
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    worker ??= start();
    worker.postMessage({ type: 'send', requests: batch } satisfies ToSender);
  }

  return {
    send(req) {
      if (!threaded.has(req.path ?? 'delivery')) return o.local.send(req);
      if (closing) return Promise.resolve(stoppedResult());
      const id = nextId++;
      if (queue.length === 0) setImmediate(flush);
      queue.push([id, req]);
      return new Promise<OutboundResult>((resolve) => pending.set(id, resolve));
    },
    poolStats(path, origin) {
      // The sender thread's pools are counted there.
      return threaded.has(path) ? null : o.local.poolStats(path, origin);
    },
    async close() {
      closing = true;
      flush();
      const w = worker;
      if (w) {
        const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
        w.postMessage({ type: 'close' } satisfies ToSender);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_WAIT_MS)));
        if ((await Promise.race([exited, late])) === 'late') await w.terminate();
        clearTimeout(timer);
      }
      await o.local.close();
    },
  };
}

const stoppedResult = (): OutboundResult => ({
  statusCode: null,
  headers: {},
  body: '',
  truncated: false,
  durationMs: 0,
  error: 'not sent: the delivery sender thread stopped',
  errorCode: 'CONNECTION',
});

const ENTRY = new URL('./sender-thread-main.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx/esm/api');

// A worker thread has the main thread's loader hooks only when they came from the command line
// (node --import tsx, as the tests run); under bin/switchboard.js, which registers tsx from code,
// it registers them itself before loading the .ts entry.
const BOOT = `
const { workerData } = require('node:worker_threads');
import(workerData.entry).catch(async (err) => {
  if (!err || err.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { register } = await import(workerData.tsx);
  register();
  // A failed import stays failed under its URL: import it again under another one.
  await import(workerData.entry + '?registered');
});
`;
