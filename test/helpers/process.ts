import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/switchboard.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string | null;
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
