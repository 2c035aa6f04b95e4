import path from 'node:path';
import { readDevKey, DEV_KEY_FILE } from '../store/dev-key.ts';

/**
 * What the client-side commands (listen, trigger, events tail) share: where the server is, which
 * key to use, and one-line errors for the mistakes an operator makes (server down, bad key).
 */

export const DEFAULT_API = 'http://127.0.0.1:8080';

/** An operator-facing failure: printed as one line, exit code 2. */
export class CliError extends Error {}

/** The server could not be reached (down, restarting): worth trying again. */
export class Unreachable extends CliError {}

export interface ApiTarget {
  api: string;
  key: string;
}

/**
 * The server and key from flags, then SWITCHBOARD_API_URL / SWITCHBOARD_API_KEY, then the key a
 * `--dev` server saved in its data folder (SWITCHBOARD_DATA_DIR, default ./data).
 */
export function resolveTarget(opts: { api?: string; key?: string }, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const api = (opts.api || env.SWITCHBOARD_API_URL || DEFAULT_API).replace(/\/+$/, '');
  try {
    new URL(api);
  } catch {
    throw new CliError(`--api ${api} is not a URL; use e.g. ${DEFAULT_API}`);
  }
  const dataDir = path.resolve(env.SWITCHBOARD_DATA_DIR || './data');
  const key = opts.key || env.SWITCHBOARD_API_KEY || readDevKey(dataDir);
  if (!key) {
    throw new CliError(
      `no API key: pass --key sk_... or set SWITCHBOARD_API_KEY (an owner or admin key; \`npm run dev\` on a fresh data folder saves its key in ${path.join(dataDir, DEV_KEY_FILE)}, which is used when present)`,
    );
  }
  return { api, key };
}

/** Calls the API; network failures and error answers become a CliError naming the fix. */
export async function call<T = any>(t: ApiTarget, method: string, route: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(t.api + route, {
      method,
      headers: { authorization: `Bearer ${t.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new Unreachable(unreachable(t.api, err));
  }
  const text = await res.text();
  if (!res.ok) throw new CliError(apiErrorLine(res.status, text, t));
  return (text ? JSON.parse(text) : null) as T;
}

export function unreachable(api: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err as Error).message;
  return `cannot reach the server at ${api} (${why}); start it with \`npm run dev\`, or pass --api / set SWITCHBOARD_API_URL`;
}

export function apiErrorLine(status: number, text: string, t: ApiTarget): string {
  let message = text.slice(0, 300);
  try {
    const e = JSON.parse(text).error;
    if (e?.message) message = `${e.message}${e.code ? ` (${e.code})` : ''}`;
  } catch {
    /* not the error body: show the text */
  }
  if (status === 401) return `the server at ${t.api} refused the API key: ${message} Pass an owner or admin key with --key or SWITCHBOARD_API_KEY.`;
  if (status === 403) return `${message} listen, trigger and events tail need an owner or admin key.`;
  return `${status}: ${message}`;
}

/** Runs a command's body: a CliError is one line on stderr and exit code 2, never a stack. */
export function runCli(fn: () => Promise<void>): Promise<void> {
  return fn().catch((err) => {
    if (err instanceof CliError) {
      process.stderr.write(`switchboard: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`switchboard: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
