import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { ReceiverStats } from '../receiver.ts';

/** Child processes of the harness: the receiver, Switchboard servers, the seeder, the bare Fastify baseline. */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH = path.join(ROOT, 'bench');
/** How a .ts file runs in a child: plain node with tsx's loader (no tsx CLI wrapper process in between). */
export const TSX_EXEC_ARGV = ['--import', 'tsx'];

export const nowMs = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const live = new Set<ChildProcess>();
/** Kills every child still running (on exit, on Ctrl-C): a benchmark must not leave servers behind. */
export function killAllChildren() {
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  live.clear();
}
process.on('exit', killAllChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllChildren();
    process.exit(130);
  });
}

function track(c: ChildProcess) {
  live.add(c);
  c.once('exit', () => live.delete(c));
  return c;
}

/** Resident set size of a process in MiB (VmRSS from /proc), or null when it is gone. */
export function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat; null when it is
 * gone. Beside a rate, CPU per delivery is the figure a busy shared machine disturbs least.
 */
export function cpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}
// USER_HZ, 100 on Linux for every architecture Node supports.
const CLOCK_TICKS_PER_S = 100;

/** Samples the summed RSS of some processes on an interval and keeps the peak. */
export function rssSampler(pids: () => (number | undefined)[], everyMs = 200) {
  let peak = 0;
  let samples = 0;
  const take = () => {
    let sum = 0;
    let any = false;
    for (const pid of pids()) {
      const v = rssMb(pid);
      if (v !== null) {
        sum += v;
        any = true;
      }
    }
    if (any) {
      peak = Math.max(peak, sum);
      samples++;
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    peak: () => peak,
    samples: () => samples,
    stop() {
      take();
      clearInterval(timer);
      return peak;
    },
  };
}

async function exitOf(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return true;
  return new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Stops a child: SIGTERM, then SIGKILL after graceMs. */
export async function stopChild(c: ChildProcess, graceMs = 8000) {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  if (!(await exitOf(c, graceMs))) {
    c.kill('SIGKILL');
    await exitOf(c, 5000);
  }
}

// ---------------------------------------------------------------------------------------------
// Receiver

export interface ReceiverOptions {
  listeners?: number;
  hang?: number[];
  latency?: boolean;
  verify?: Record<number, string>;
}

export interface Receiver {
  pid: number;
  ports: number[];
  urls: string[];
  stats(): Promise<ReceiverStats>;
  reset(): Promise<void>;
  setSecret(listener: number, secret: string | null): Promise<void>;
  stop(): Promise<void>;
}

export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const args = ['--listeners', String(opts.listeners ?? 1)];
  if (opts.hang?.length) args.push('--hang', opts.hang.join(','));
  if (opts.latency) args.push('--latency');
  for (const [i, s] of Object.entries(opts.verify ?? {})) args.push('--verify', `${i}=${s}`);
  const child = track(fork(path.join(BENCH, 'receiver.ts'), args, { execArgv: TSX_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const waiting = new Map<string, ((m: any) => void)[]>();
  child.on('message', (m: any) => {
    const q = waiting.get(m.type);
    const next = q?.shift();
    if (next) next(m);
  });
  const ask = <T>(cmd: Record<string, unknown>, reply: string, ms = 30_000) =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`receiver did not answer ${String(cmd.cmd)}`)), ms);
      const q = waiting.get(reply) ?? [];
      q.push((m) => {
        clearTimeout(t);
        resolve(m as T);
      });
      waiting.set(reply, q);
      if (cmd.cmd !== 'none') child.send(cmd);
    });
  const ready = await Promise.race([
    ask<{ ports: number[] }>({ cmd: 'none' }, 'ready', 30_000),
    new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`receiver exited (${code})`)))),
  ]);
  return {
    pid: child.pid!,
    ports: ready.ports,
    urls: ready.ports.map((p) => `http://127.0.0.1:${p}`),
    stats: () => ask<ReceiverStats>({ cmd: 'stats' }, 'stats'),
    reset: () => ask<void>({ cmd: 'reset' }, 'reset'),
    setSecret: (listener, secret) => ask<void>({ cmd: 'verify', listener, secret }, 'verify'),
    async stop() {
      if (child.connected) child.send({ cmd: 'stop' });
      await stopChild(child, 3000);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Switchboard server processes (the real CLI: bin/switchboard.js serve)

export interface ServerOptions {
  dataDir: string;
  databaseUrl?: string | null;
  role?: 'api' | 'worker' | 'all';
  ownerKey: string;
  masterKey: string;
  env?: Record<string, string>;
  /** Extra node flags for the server (e.g. --cpu-prof); SWITCHBOARD_BENCH_NODE_ARGS adds more. */
  nodeArgs?: string[];
}

export interface ServerProc {
  pid: number;
  child: ChildProcess;
  /** http://127.0.0.1:PORT, or null for role worker. */
  url: string | null;
  /** When the ready line was read (ms since the epoch). */
  readyAtMs: number;
  /** When the process was spawned. */
  spawnedAtMs: number;
  /** The last lines the server wrote to stderr (its logs at level warn). */
  logTail(): string;
  stop(graceMs?: number): Promise<void>;
}

/** Environment every benchmark server shares: loopback http endpoints allowed, no rate limit, quiet logs. */
export function serverEnv(o: ServerOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SWITCHBOARD_')) delete env[k];
  Object.assign(env, {
    SWITCHBOARD_DATA_DIR: o.dataDir,
    SWITCHBOARD_BOOTSTRAP_KEY: o.ownerKey,
    SWITCHBOARD_MASTER_KEY: o.masterKey,
    SWITCHBOARD_ALLOW_HTTP: 'true',
    SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128',
    SWITCHBOARD_RATE_LIMIT: '0',
    SWITCHBOARD_LOG_LEVEL: 'warn',
    SWITCHBOARD_HOST: '127.0.0.1',
    SWITCHBOARD_PORT: '0',
    SWITCHBOARD_ROLE: o.role ?? 'all',
    NODE_ENV: 'production',
    ...(o.databaseUrl ? { SWITCHBOARD_DATABASE_URL: o.databaseUrl } : {}),
    ...o.env,
  });
  return env;
}

export async function startServer(o: ServerOptions): Promise<ServerProc> {
  const spawnedAtMs = nowMs();
  const child = track(
    spawn(process.execPath, [...(o.nodeArgs ?? []), ...(process.env.SWITCHBOARD_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(ROOT, 'bin/switchboard.js'), 'serve'], {
      cwd: ROOT,
      env: serverEnv(o),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of String(chunk).split('\n')) if (line.trim()) tail.push(line);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stderr!.on('data', keep);
  const { url, at } = await new Promise<{ url: string | null; at: number }>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${tail.join('\n')}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += String(chunk);
      const m = /switchboard listening on (http:\/\/\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, at: nowMs() });
      } else if (/switchboard worker started/.test(buf)) {
        clearTimeout(timer);
        resolve({ url: null, at: nowMs() });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${tail.join('\n')}`));
    });
  });
  return {
    pid: child.pid!,
    child,
    url,
    readyAtMs: at,
    spawnedAtMs,
    logTail: () => tail.join('\n'),
    stop: (graceMs = 8000) => stopChild(child, graceMs),
  };
}

/**
 * Runs a .ts script to completion in a child and returns its last stdout line parsed as JSON.
 * Lines `{"progress": N}` before it go to `onProgress` (how far the script has got).
 */
export async function runScript<T>(file: string, args: string[], timeoutMs: number, onProgress?: (done: number) => void): Promise<T> {
  const child = track(spawn(process.execPath, [...TSX_EXEC_ARGV, file, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  let seen = 0;
  child.stdout!.on('data', (c: Buffer) => {
    out += String(c);
    const lines = out.split('\n');
    for (; seen < lines.length - 1; seen++) {
      const m = /^\{"progress":(\d+)\}$/.exec(lines[seen]!.trim());
      if (m) onProgress?.(Number(m[1]));
    }
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += String(c);
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  const done = await exitOf(child, timeoutMs);
  if (!done) {
    child.kill('SIGKILL');
    throw new Error(`${path.basename(file)} timed out after ${timeoutMs} ms`);
  }
  if (child.exitCode !== 0) throw new Error(`${path.basename(file)} failed (${child.exitCode}): ${err.trim().split('\n').slice(-8).join('\n')}`);
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

/** Forks a .ts child with IPC (the bare Fastify baseline) and waits for its {type:'ready'} message. */
export async function forkReady<T extends { type: string }>(file: string, args: string[] = []): Promise<{ child: ChildProcess; ready: T }> {
  const child = track(fork(file, args, { execArgv: TSX_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const ready = await new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${path.basename(file)} did not start`)), 60_000);
    child.on('message', (m: T) => {
      if (m.type === 'ready') {
        clearTimeout(t);
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`${path.basename(file)} exited with ${code}`)));
  });
  return { child, ready };
}

/**
 * Waits until the receiver's first listener has seen `expected` distinct ids, telling `seen` each
 * new count; gives up after 30 s without a new arrival and says so (for the peers' drains).
 */
/**
 * How long a drain's watcher sleeps before it looks again: 100 ms while the end is far, 5 ms once
 * the rate so far says the rest arrives within 200 ms. A drain's clock stops when the watcher
 * sees the end, so a coarse look at the end would add up to a whole gap to every drain (2-3 % of
 * a 4 s one), Switchboard's and the peers' alike.
 */
export function pollGapMs(done: number, total: number, beganMs: number): number {
  const perMs = done / Math.max(1, nowMs() - beganMs);
  return perMs > 0 && (total - done) / perMs < 200 ? 5 : 100;
}

/** How long a watcher sleeps between looks at the store once everything arrived ("recorded"). */
export const RECORDED_POLL_MS = 5;

export async function untilArrived(receiver: Receiver, expected: number, seen: (n: number) => void): Promise<{ delivered: number; stalled: string | null }> {
  let delivered = 0;
  const began = nowMs();
  let lastProgress = began;
  for (;;) {
    await sleep(pollGapMs(delivered, expected, began));
    const s = (await receiver.stats()).listeners[0]!;
    if (s.unique > delivered) {
      delivered = s.unique;
      lastProgress = nowMs();
      seen(delivered);
    }
    if (delivered >= expected) return { delivered, stalled: null };
    if (nowMs() - lastProgress > 30_000) return { delivered, stalled: `stalled at ${delivered}` };
  }
}
