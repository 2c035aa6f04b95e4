import { Pool } from 'undici';
import { nowMs, sleep } from './proc.ts';

/** Load generators: a closed loop (N in flight, as fast as answers come) and an open loop (a fixed rate). */

export interface LoadResult {
  /** Requests answered with the expected status inside the measured window. */
  ok: number;
  errors: number;
  /** First unexpected status or error, for the notes. */
  firstError: string | null;
  seconds: number;
  perSecond: number;
  /** Round-trip times of the measured requests, ms. */
  p50: number | null;
  p99: number | null;
}

export interface ClosedLoopOptions {
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** A fixed body, or one per request. */
  body: string | ((i: number) => string);
  expect: number;
  inFlight: number;
  /** Unmeasured warm-up (JIT, connection setup). */
  warmupMs?: number;
  /** Stop once both are reached ... */
  minRequests?: number;
  minMs?: number;
  /** ... or at this hard limit. */
  maxMs?: number;
  /** Counts kept up to date while it runs (for progress lines). */
  live?: LiveCounts;
}

/** Requests sent and answered so far (warm-up included), updated in place while a loop runs. */
export interface LiveCounts {
  sent: number;
  answered: number;
}

export const liveCounts = (): LiveCounts => ({ sent: 0, answered: 0 });

export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarise(values: number[]): { p50: number | null; p99: number | null } {
  const s = Float64Array.from(values).sort();
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
}

/** `inFlight` workers each send, await the answer, repeat; measured after the warm-up. */
export async function closedLoop(o: ClosedLoopOptions): Promise<LoadResult> {
  const pool = new Pool(o.origin, { connections: o.inFlight, pipelining: 1, keepAliveTimeout: 60_000 });
  const minRequests = o.minRequests ?? 20_000;
  const minMs = o.minMs ?? 10_000;
  const maxMs = o.maxMs ?? 60_000;
  const warmupEnd = nowMs() + (o.warmupMs ?? 1000);
  let measureStart = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | null = null;
  let sent = 0;
  let stop = false;
  const times: number[] = [];
  const body = typeof o.body === 'string' ? () => o.body as string : o.body;
  const live = o.live ?? liveCounts();

  const one = async () => {
    while (!stop) {
      const i = sent++;
      live.sent++;
      const t0 = nowMs();
      let good = false;
      try {
        const res = await pool.request({ path: o.path, method: 'POST', headers: o.headers, body: body(i) });
        const text = await res.body.text();
        good = res.statusCode === o.expect;
        if (!good) firstError ??= `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
      } catch (err) {
        firstError ??= (err as Error).message;
      }
      live.answered++;
      const t1 = nowMs();
      if (measureStart === 0 || t0 < measureStart) continue; // warm-up, or started before the window
      if (good) {
        ok++;
        times.push(t1 - t0);
      } else errors++;
      const elapsed = t1 - measureStart;
      if ((ok >= minRequests && elapsed >= minMs) || elapsed >= maxMs) stop = true;
      if (errors > 1000 && errors > ok) stop = true;
    }
  };
  const workers = Array.from({ length: o.inFlight }, one);
  await sleep(Math.max(0, warmupEnd - nowMs()));
  measureStart = nowMs();
  await Promise.all(workers);
  const seconds = (nowMs() - measureStart) / 1000;
  await pool.close();
  return { ok, errors, firstError, seconds, perSecond: ok / seconds, ...summarise(times) };
}

export interface OpenLoopOptions {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: (i: number) => string;
  expect: number;
  ratePerS: number;
  durationMs: number;
  connections?: number;
  live?: LiveCounts;
}

/** Sends at a fixed rate whatever the answers do (requests are scheduled in 1 ms ticks). */
export async function openLoop(o: OpenLoopOptions): Promise<LoadResult & { sent: number }> {
  const pool = new Pool(o.origin, { connections: o.connections ?? 64, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = Math.round((o.ratePerS * o.durationMs) / 1000);
  const start = nowMs();
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | null = null;
  const times: number[] = [];
  const pending: Promise<void>[] = [];
  const live = o.live ?? liveCounts();
  const fire = (i: number) => {
    const t0 = nowMs();
    live.sent++;
    return pool
      .request({ path: o.path, method: 'POST', headers: o.headers, body: o.body(i) })
      .then(async (res) => {
        const text = await res.body.text();
        if (res.statusCode === o.expect) {
          ok++;
          times.push(nowMs() - t0);
        } else {
          errors++;
          firstError ??= `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
        }
      })
      .catch((err: Error) => {
        errors++;
        firstError ??= err.message;
      })
      .finally(() => {
        live.answered++;
      });
  };
  while (sent < total) {
    const due = Math.min(total, Math.floor(((nowMs() - start) * o.ratePerS) / 1000) + 1);
    while (sent < due) pending.push(fire(sent++));
    // setTimeout(1) is ~1.1 ms on Linux: at 1,000/s this sends one or two requests per tick.
    await sleep(1);
  }
  await Promise.all(pending);
  const seconds = (nowMs() - start) / 1000;
  await pool.close();
  return { sent, ok, errors, firstError, seconds, perSecond: ok / seconds, ...summarise(times) };
}
