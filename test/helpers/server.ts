import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/platform.ts';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.ts';
import { createTestDatabase } from './postgres.ts';


export type StoreKind = 'sqlite' | 'postgres';
export const STORES: StoreKind[] = ['sqlite', 'postgres'];

export const OWNER_KEY = 'sk_test_owner_' + 'a'.repeat(32);
export const ADMIN_TOKEN = 'admin-token-for-tests';

export interface TestServer {
  url: string;
  server: RunningServer;
  config: Config;
  logs: string[];
  /** A client bound to the bootstrap owner key. */
  api: Client;
  /** Creates another company and returns a client with its owner key. */
  newCompany(name?: string): Promise<{ companyId: string; api: Client }>;
  close(): Promise<void>;
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface Client {
  key: string;
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  get<T = any>(path: string): Promise<Reply<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  put<T = any>(path: string, body?: unknown): Promise<Reply<T>>;
  patch<T = any>(path: string, body?: unknown): Promise<Reply<T>>;
  delete<T = any>(path: string): Promise<Reply<T>>;
}

/** An HTTP client for the real server. A string body is sent as is (for malformed JSON tests). */
export function client(base: string, key: string): Client {
  const request = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { authorization: `Bearer ${key}`, ...headers };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(base + p, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed as any, text };
  };
  return {
    key,
    request,
    get: (p) => request('GET', p),
    post: (p, b, h) => request('POST', p, b, h),
    put: (p, b) => request('PUT', p, b),
    patch: (p, b) => request('PATCH', p, b),
    delete: (p) => request('DELETE', p),
  };
}

/**
 * Starts a real Switchboard server on a free loopback port, on a fresh SQLite folder or a fresh
 * PostgreSQL database, with the owner key OWNER_KEY and the admin token ADMIN_TOKEN.
 */
export async function startTestServer(
  store: StoreKind = 'sqlite',
  env: Record<string, string> = {},
  /** `{ worker: false }`: the API without the delivery worker. */
  options: StartOptions = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
  const pgdb = store === 'postgres' ? await createTestDatabase() : null;
  const config = loadConfig(
    { port: 0, data: dataDir, database: pgdb?.url },
    {
      SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY,
      SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
      SWITCHBOARD_RATE_LIMIT: '0',
      // Tests send many keyless requests from 127.0.0.1; test/api/rate-limit.test.ts turns it on.
      SWITCHBOARD_UNAUTHENTICATED_RATE_LIMIT: '0',
      SWITCHBOARD_LOG_LEVEL: 'info',
      ...(pgdb ? { SWITCHBOARD_MASTER_KEY: pgdb.masterKey } : {}),
      ...env,
    },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const server = await startServer(config, createLogger(config.logLevel, sink), () => {}, options);
  const url = server.url!;
  return {
    url,
    server,
    config,
    logs,
    api: client(url, OWNER_KEY),
    async newCompany(name = 'other') {
      const res = await client(url, ADMIN_TOKEN).post('/v1/companies', { name });
      if (res.status !== 201) throw new Error(`company create failed: ${res.status} ${res.text}`);
      return { companyId: res.body.company.id, api: client(url, res.body.key.key) };
    },
    async close() {
      await server.stop();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
