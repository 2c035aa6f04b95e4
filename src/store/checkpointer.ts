import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The SQLite WAL checkpoint on its own thread. A checkpoint copies the pages the WAL collected back
 * into the database file, with an fsync on each side; run by SQLite itself (wal_autocheckpoint) it
 * happens inside the COMMIT that fills the WAL, on the event loop, for 20-40 ms at a time: measured
 * on the API's writes, a third of the store's time per request. Here a second connection, on a
 * worker thread, runs a PASSIVE checkpoint every `intervalMs`: it never waits for or blocks a
 * writer, the event loop does not wait for it, and the COMMITs only append to the WAL. (The main
 * connection keeps a distant wal_autocheckpoint as a backstop, should this thread ever stop.)
 */
export interface Checkpointer extends EventEmitter<{
  /** A checkpoint copied frames: `log` frames in the WAL, `checkpointed` of them now in the file. */
  ran: [{ log: number; checkpointed: number }];
  /** A checkpoint failed (the next one is tried on schedule). */
  failed: [Error];
}> {
  close(): Promise<void>;
}

// Worker threads do not get the TypeScript loader of the main thread, so the thread's code is
// plain CommonJS, given as text. It loads better-sqlite3 from the path the main thread resolved.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.sqlitePath);
const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (r.checkpointed > 0) parentPort.postMessage({ type: 'ran', log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', message: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

const CLOSE_WAIT_MS = 5000;

/** Starts checkpointing the WAL of the SQLite database `file` (opened in WAL mode by the caller). */
export function startCheckpointer(file: string, opts: { intervalMs?: number } = {}): Checkpointer {
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { file, sqlitePath, intervalMs: opts.intervalMs ?? 100 } });
  // The server closes it with the store; a forgotten one must not keep the process alive.
  worker.unref();
  const events = new EventEmitter() as Checkpointer;
  worker.on('message', (m: { type: 'ran'; log: number; checkpointed: number } | { type: 'failed'; message: string }) => {
    if (m.type === 'ran') events.emit('ran', { log: m.log, checkpointed: m.checkpointed });
    else if (events.listenerCount('failed') > 0) events.emit('failed', new Error(`WAL checkpoint failed: ${m.message}`));
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => {
    if (events.listenerCount('failed') > 0) events.emit('failed', err);
  });
  let closing: Promise<void> | null = null;
  events.close = () =>
    (closing ??= (async () => {
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_WAIT_MS)));
      if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
      clearTimeout(timer);
    })());
  return events;
}
