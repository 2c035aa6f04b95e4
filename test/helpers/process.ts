import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/switchboard.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string | null;
  /** A worker's health and metrics listener, when started with SWITCHBOARD_WORKER_PORT. */
  workerUrl: string | null;
  stdout(): string;
  stderr(): string;
  /** kill -9: no shutdown code runs. */
  crash(): Promise<void>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Starts `switchboard serve` as a real child process and resolves once it printed its listening
 * (or worker-started) line.
 */
export function startServerProcess(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', ...args], {
      env: { ...process.env, SWITCHBOARD_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${out} ${err}`));
    }, timeoutMs);
    const proc: ServerProcess = {
      child,
      url: null,
      workerUrl: null,
      stdout: () => out,
      stderr: () => err,
      async crash() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited;
      },
      exited,
    };
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /switchboard listening on (\S+)/.exec(out);
      if (m || /switchboard worker started/.test(out)) {
        clearTimeout(timer);
        proc.url = m ? m[1] : null;
        proc.workerUrl = /switchboard worker health and metrics on (\S+)/.exec(out)?.[1] ?? null;
        resolve(proc);
      }
    });
    child.stderr!.on('data', (d) => (err += d));
    exited.then((code) => {
      clearTimeout(timer);
      if (!proc.url && !/worker started/.test(out)) reject(new Error(`server exited ${code}: ${err}`));
    });
  });
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `switchboard <args>` as a real child process that is expected to end by itself (a refused
 * start, `migrate`); resolves with its exit code and output. A server that starts instead is
 * stopped at once and resolves with code null, so a start that should have failed fails fast.
 */
export function runToExit(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, SWITCHBOARD_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchboard ${args.join(' ')} did not exit: ${stdout} ${stderr}`));
    }, timeoutMs);
    let started = false;
    child.stdout!.on('data', (d) => {
      stdout += d;
      if (!started && /switchboard listening on|switchboard worker started/.test(stdout)) {
        started = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr!.on('data', (d) => (stderr += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: started ? null : code, stdout, stderr });
    });
  });
}
