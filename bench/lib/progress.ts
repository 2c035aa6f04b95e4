import { nowMs } from './proc.ts';

/**
 * Progress lines: the bench never stays silent for 5 s. Scenarios wrap their long waits (drains,
 * seeding, steady-rate phases) in `progress`/`withProgress`, which say how far they are, e.g.
 *
 *   drain: 23,400/50,000 delivered (4,870/s)
 *   console-overview: seeding 1000000 attempts, 4 s
 *
 * and bench/run.ts gives each scenario a `heartbeat` log, which fills the short gaps between them
 * (a server starting, a fixture being made) when nothing else was said for a while.
 */

/** Lines come this often (below 5 s, so a line is never more than 5 s after the previous one). */
export const PROGRESS_EVERY_MS = 4000;

/** What a progress line says: counts (the rate since the previous line is added), or a phrase (the elapsed time is added). */
export type ProgressSample = string | { done: number; total?: number; unit: string; extra?: string };

const n = (v: number) => Math.round(v).toLocaleString('en-US');

/** Logs `  label: <sample>` every `everyMs` until stopped; call the returned function to stop. */
export function progress(log: (line: string) => void, label: string, sample: () => ProgressSample, everyMs = PROGRESS_EVERY_MS): () => void {
  const began = nowMs();
  let prevAt = began;
  let prevDone = 0;
  const timer = setInterval(() => {
    const t = nowMs();
    const s = sample();
    if (typeof s === 'string') {
      log(`  ${label}: ${s}, ${n((t - began) / 1000)} s`);
    } else {
      const rate = t > prevAt ? ((s.done - prevDone) * 1000) / (t - prevAt) : 0;
      prevAt = t;
      prevDone = s.done;
      log(`  ${label}: ${n(s.done)}${s.total === undefined ? '' : `/${n(s.total)}`} ${s.unit} (${n(rate)}/s)${s.extra ? `, ${s.extra}` : ''}`);
    }
  }, everyMs);
  return () => clearInterval(timer);
}

/** Runs `fn` with progress lines while it runs. */
export async function withProgress<T>(log: (line: string) => void, label: string, sample: () => ProgressSample, fn: () => Promise<T>): Promise<T> {
  const stop = progress(log, label, sample);
  try {
    return await fn();
  } finally {
    stop();
  }
}

/**
 * A scenario's log that says `  label: still running, N s in (last: ...)` whenever nothing was
 * logged through it for `quietMs` (a little longer than PROGRESS_EVERY_MS, so a `progress` line
 * comes first when one is running, and still under 5 s). Stop it when the scenario ends.
 */
export function heartbeat(write: (line: string) => void, label: string, quietMs = PROGRESS_EVERY_MS + 500): { log: (line: string) => void; stop: () => void } {
  const began = nowMs();
  let lastAt = began;
  let last = '';
  const log = (line: string) => {
    lastAt = nowMs();
    last = line.trim();
    write(line);
  };
  const timer = setInterval(() => {
    const t = nowMs();
    if (t - lastAt < quietMs) return;
    const what = last.startsWith(`${label}: `) ? last.slice(label.length + 2) : last;
    log(`  ${label}: still running, ${n((t - began) / 1000)} s in${what ? ` (last: ${what})` : ''}`);
    last = what ? `${label}: ${what}` : '';
  }, 250);
  return { log, stop: () => clearInterval(timer) };
}
