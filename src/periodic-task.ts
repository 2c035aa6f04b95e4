import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

/** A store chore run on a timer (purging expired rows). Emits `ran` with the rows it removed. */
export interface PeriodicTask extends EventEmitter<{ ran: [number] }> {
  /** Stops the timer and waits for a run in flight, so the store can close after it. */
  stop(): Promise<void>;
}

/**
 * Runs `run` at start and every `intervalMs`: at start too, since a process restarted more often
 * than the interval would otherwise never run it; never stacked on a slow run of itself; on an
 * unref'd timer, so it never keeps the process alive. A failure is logged and retried at the next
 * interval.
 */
export function startPeriodicTask(o: { what: string; intervalMs: number; logger: Logger; run: () => Promise<number> }): PeriodicTask {
  const task = new EventEmitter<{ ran: [number] }>() as PeriodicTask;
  let inFlight: Promise<void> | null = null;
  const once = async () => {
    try {
      const n = await o.run();
      if (n > 0) o.logger.debug({ rows: n }, `${o.what}: removed ${n} rows`);
      task.emit('ran', n);
    } catch (err) {
      o.logger.warn({ err }, `${o.what} failed; retrying at the next interval`);
    }
  };
  const tick = () => {
    inFlight ??= once().finally(() => {
      inFlight = null;
    });
  };
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();
  tick();
  task.stop = async () => {
    clearInterval(timer);
    await inFlight;
  };
  return task;
}
