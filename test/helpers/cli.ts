import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../bin/switchboard.js');

/** A running CLI (or any) child process whose output can be waited on, line by line. */
export interface Running {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves with the first match of `re` in stdout (searching from the start), or rejects after timeoutMs. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves once stdout matches `re` `count` times. */
  waitForCount(re: RegExp, count: number, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  /** Sends a signal to the process (its group when started detached) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function run(command: string, args: string[], opts: SpawnOptions & { env?: NodeJS.ProcessEnv } = {}): Running {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (d) => {
    out += d;
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  exited.then(() => {
    for (const w of [...waiters]) w();
  });
  let ended = false;
  exited.then(() => (ended = true));
  const until = <T>(check: () => T | null, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const tick = () => {
        const v = check();
        if (v !== null) {
          cleanup();
          resolve(v);
        } else if (ended) {
          cleanup();
          reject(new Error(`${command} ${args.join(' ')} exited before printing ${what}\nstdout: ${out}\nstderr: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}\nstdout: ${out}\nstderr: ${err}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(tick);
      };
      waiters.add(tick);
      tick();
    });
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    waitFor: (re, timeoutMs = 20_000) => until(() => new RegExp(re.source, re.flags.replace('g', '')).exec(out), String(re), timeoutMs),
    waitForCount: async (re, count, timeoutMs = 20_000) => {
      await until(() => ((out.match(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g')) ?? []).length >= count ? true : null), `${count} x ${re}`, timeoutMs);
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        if (opts.detached && child.pid) process.kill(-child.pid, signal);
        else child.kill(signal);
      }
      return exited;
    },
  };
}

/** `switchboard <args>` as a child process. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  // The developer's own server settings never leak into a test's CLI.
  const base = { ...process.env };
  for (const k of ['SWITCHBOARD_API_URL', 'SWITCHBOARD_API_KEY', 'SWITCHBOARD_DATA_DIR']) delete base[k];
  return run(process.execPath, [BIN, ...args], { env: { ...base, ...env } });
}
