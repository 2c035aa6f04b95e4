import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The SQLite WAL checkpoint on its own thread. A checkpoint copies the pages the WAL collected back
 * into the database file, with an fsync on each side; run by SQLite itself (wal_autocheckpoint) it
 * happens inside the COMMIT that fills the WAL, on the event loop, for 20-40 ms at a time: measured
 * on the API's writes, a third of the store's time per request. Here a second connection, on a
 * worker thread, runs a PASSIVE checkpoint once the WAL holds `minFrames` pages not yet copied
 * (looked up every `intervalMs`): it never waits for or blocks a writer, the event loop does not
 * wait for it, and the COMMITs only append to the WAL. (The main connection keeps a distant
 * wal_autocheckpoint as a backstop, should this thread ever stop.)
 */
export interface Checkpointer extends EventEmitter<{
  /** The thread has started and opened the database (about 25 ms after the store opened). */
  ready: [];
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
const fs = require('node:fs');
const os = require('node:os');
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.sqlitePath);
const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
// The WAL's frame count and how many of them are in the file already, read off the wal-index
// header at the start of the -shm file (SQLite's documented WAL format, native byte order):
// mxFrame at byte 16 of the header, nBackfill at byte 96 (after the header's two copies).
const shm = fs.openSync(workerData.file + '-shm', 'r');
const header = Buffer.alloc(100);
const u32 = os.endianness() === 'LE' ? (o) => header.readUInt32LE(o) : (o) => header.readUInt32BE(o);
const timer = setInterval(() => {
  try {
    if (fs.readSync(shm, header, 0, 100, 0) < 100 || u32(16) - u32(96) < workerData.minFrames) return;
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (r.checkpointed > 0) parentPort.postMessage({ type: 'ran', log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', message: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.postMessage({ type: 'ready' });
parentPort.on('message', () => {
  clearInterval(timer);
  fs.closeSync(shm);
  db.close();
  parentPort.close();
});
`;

const CLOSE_WAIT_MS = 5000;
// A checkpoint copies the last version of each page the WAL holds, with two fsyncs; waiting for
// some pages saves copying the hot ones (the due index's leaves, the tails of events and attempts)
// at every poll. 1,000 pages is SQLite's own default. Waiting for 8,000, as the inline checkpoints
// did, made each one long enough for the COMMITs running beside it to wait on it: `latency`'s p99
// was 33-37 ms in two runs, against 25-30 ms at 1,000 pages or at every poll.
const DEFAULT_MIN_FRAMES = 1000;

/** Starts checkpointing the WAL of the SQLite database `file` (opened in WAL mode by the caller). */
export function startCheckpointer(file: string, opts: { intervalMs?: number; minFrames?: number } = {}): Checkpointer {
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const workerData = { file, sqlitePath, intervalMs: opts.intervalMs ?? 50, minFrames: opts.minFrames ?? DEFAULT_MIN_FRAMES };
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData });
  // The server closes it with the store; a forgotten one must not keep the process alive.
  worker.unref();
  const events = new EventEmitter() as Checkpointer;
  let ready = false;
  worker.on('message', (m: { type: 'ready' } | { type: 'ran'; log: number; checkpointed: number } | { type: 'failed'; message: string }) => {
    if (m.type === 'ready') {
      ready = true;
      events.emit('ready');
    }
    else if (m.type === 'ran') events.emit('ran', { log: m.log, checkpointed: m.checkpointed });
    else events.emit('failed', new Error(`WAL checkpoint failed: ${m.message}`));
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => events.emit('failed', err));
  let closing: Promise<void> | null = null;
  events.close = () =>
    (closing ??= (async () => {
      // A thread still starting (loading better-sqlite3, ~25 ms) has checkpointed nothing yet:
      // stopping it there saves a short-lived store (a CLI command) from waiting for its start.
      if (!ready) return void (await worker.terminate());
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_WAIT_MS)));
      if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
      clearTimeout(timer);
    })());
  return events;
}
