import path from 'node:path';

/**
 * The one typed configuration. Every setting comes from a flag or a SWITCHBOARD_* variable (flags
 * win), has a default, and is validated here at start so a typo fails loudly instead of at 3 a.m.
 */
export interface Config {
  /** Address the API and console listen on. */
  host: string;
  /** Port; 0 picks a free one (the listening line prints it). */
  port: number;
  /** Folder of the embedded SQLite store and of the generated master key file. */
  dataDir: string;
  /** `postgres://...` switches the store to PostgreSQL. */
  databaseUrl: string | null;
  /** `api` serves HTTP, `worker` delivers webhooks, `all` does both. */
  role: 'api' | 'worker' | 'all';
  /** Owner key of company `default`, used on first start with an empty store. */
  bootstrapKey: string | null;
  /** Server admin token for `POST /v1/companies`. */
  adminToken: string | null;
  /** Accept `http://` endpoint URLs (local development). */
  allowHttp: boolean;
  /** `--dev`: local development (http:// and loopback targets, and the owner key saved for the CLI in <data>/dev-api-key). */
  dev: boolean;
  /** CIDRs exempt from the private-address refusal, comma-separated. */
  allowTargets: string;
  /**
   * Key that encrypts secrets at rest: 64+ hex characters, or base64/base64url of 32+ bytes
   * (`openssl rand -base64 32`). Required on PostgreSQL; on SQLite a generated `master.key` file
   * in the data directory stands in when unset.
   */
  masterKey: string | null;
  /** API requests per second per key, burst twice that; 0 turns the limit off. */
  rateLimit: number;
  /** Requests per second per client address that carry no valid key (burst twice that); 0 turns the limit off. */
  unauthenticatedRateLimit: number;
  /** Bearer token required by GET /metrics, when set. */
  metricsToken: string | null;
  /** Most webhook endpoints one company may have. */
  maxWebhooksPerCompany: number;
  /** SQLite `synchronous` pragma: NORMAL (default, WAL-safe) or FULL (survives power loss). */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Most deliveries one worker process sends at once. */
  workerConcurrency: number;
  /**
   * Port of the health and metrics listener of a `--role worker` process (/healthz, /readyz,
   * /metrics); null (unset) runs none. 0 picks a free one (the worker-started line prints it).
   */
  workerPort: number | null;
  /** Address that listener binds. */
  workerHost: string;
  /** Seconds a claimed delivery stays leased before another worker may take it. */
  leaseSeconds: number;
  /** Extra CA certificates (PEM file) trusted for outbound HTTPS, besides NODE_EXTRA_CA_CERTS. */
  caFile: string | null;
  /** pino log level. */
  logLevel: string;
  /** Seconds between purges of expired idempotency records (API processes). */
  idempotencyPurgeSeconds: number;
  /** Console: minutes without a request after which a session ends. */
  consoleIdleMinutes: number;
  /** Console: hours after sign-in after which a session ends, however active. */
  consoleSessionHours: number;
  /** Console: failed sign-ins per account per 15 minutes before sign-in is refused (4x that per address). */
  consoleSignInLimit: number;
}

export interface Flags {
  host?: string;
  port?: string | number;
  data?: string;
  database?: string;
  role?: string;
  dev?: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DEV_TARGETS = '127.0.0.0/8,::1/128';

/** Reads flags and the environment into a validated Config. Throws ConfigError on bad input. */
export function loadConfig(flags: Flags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (flag: unknown, name: string): string | undefined => {
    if (flag !== undefined && flag !== null && flag !== '') return String(flag);
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };

  const role = pick(flags.role, 'SWITCHBOARD_ROLE') ?? 'all';
  if (role !== 'api' && role !== 'worker' && role !== 'all') {
    throw new ConfigError(`role must be api, worker or all (got "${role}")`);
  }
  const databaseUrl = pick(flags.database, 'SWITCHBOARD_DATABASE_URL') ?? null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('database must be a postgres:// URL');
  }
  const bootstrapKey = pick(undefined, 'SWITCHBOARD_BOOTSTRAP_KEY') ?? null;
  if (bootstrapKey && !/^sk_[A-Za-z0-9_-]{32,}$/.test(bootstrapKey)) {
    throw new ConfigError('SWITCHBOARD_BOOTSTRAP_KEY must look like sk_ followed by 32+ url-safe characters');
  }
  const masterKey = pick(undefined, 'SWITCHBOARD_MASTER_KEY') ?? null;
  if (masterKey !== null) {
    const problem = masterKeyProblem(masterKey);
    if (problem) throw new ConfigError(`SWITCHBOARD_MASTER_KEY ${problem}`);
  } else if (databaseUrl) {
    // Each process would otherwise generate its own key file and none could read the others'
    // endpoint credentials: refuse before touching the database.
    throw new ConfigError(
      `SWITCHBOARD_MASTER_KEY must be set on PostgreSQL, to the same value on every process sharing the database; generate one with: ${GENERATE_HINT}`,
    );
  }
  const sync = (pick(undefined, 'SWITCHBOARD_SQLITE_SYNCHRONOUS') ?? 'NORMAL').toUpperCase();
  if (sync !== 'NORMAL' && sync !== 'FULL') throw new ConfigError('SWITCHBOARD_SQLITE_SYNCHRONOUS must be NORMAL or FULL');

  return {
    host: pick(flags.host, 'SWITCHBOARD_HOST') ?? '127.0.0.1',
    port: int(pick(flags.port, 'SWITCHBOARD_PORT') ?? '8080', 'port', 0, 65535),
    dataDir: path.resolve(pick(flags.data, 'SWITCHBOARD_DATA_DIR') ?? './data'),
    databaseUrl,
    role,
    bootstrapKey,
    adminToken: pick(undefined, 'SWITCHBOARD_ADMIN_TOKEN') ?? null,
    dev: flags.dev === true,
    allowHttp: flags.dev === true || bool(pick(undefined, 'SWITCHBOARD_ALLOW_HTTP'), 'SWITCHBOARD_ALLOW_HTTP'),
    allowTargets: pick(undefined, 'SWITCHBOARD_ALLOW_TARGETS') ?? (flags.dev === true ? DEV_TARGETS : ''),
    masterKey,
    rateLimit: int(pick(undefined, 'SWITCHBOARD_RATE_LIMIT') ?? '100', 'SWITCHBOARD_RATE_LIMIT', 0, 1_000_000),
    unauthenticatedRateLimit: int(pick(undefined, 'SWITCHBOARD_UNAUTHENTICATED_RATE_LIMIT') ?? '10', 'SWITCHBOARD_UNAUTHENTICATED_RATE_LIMIT', 0, 1_000_000),
    metricsToken: pick(undefined, 'SWITCHBOARD_METRICS_TOKEN') ?? null,
    maxWebhooksPerCompany: int(pick(undefined, 'SWITCHBOARD_MAX_WEBHOOKS') ?? '10', 'SWITCHBOARD_MAX_WEBHOOKS', 1, 100_000),
    sqliteSynchronous: sync,
    workerConcurrency: int(pick(undefined, 'SWITCHBOARD_WORKER_CONCURRENCY') ?? '256', 'SWITCHBOARD_WORKER_CONCURRENCY', 1, 10_000),
    // Off unless set: several workers on one machine (the usual split deployment) would otherwise
    // fight over one default port.
    workerPort: ((v) => (v === undefined ? null : int(v, 'SWITCHBOARD_WORKER_PORT', 0, 65535)))(pick(undefined, 'SWITCHBOARD_WORKER_PORT')),
    workerHost: pick(undefined, 'SWITCHBOARD_WORKER_HOST') ?? '127.0.0.1',
    leaseSeconds: int(pick(undefined, 'SWITCHBOARD_LEASE_SECONDS') ?? '60', 'SWITCHBOARD_LEASE_SECONDS', 5, 3600),
    caFile: pick(undefined, 'SWITCHBOARD_CA_FILE') ?? null,
    logLevel: pick(undefined, 'SWITCHBOARD_LOG_LEVEL') ?? 'info',
    idempotencyPurgeSeconds: int(pick(undefined, 'SWITCHBOARD_IDEMPOTENCY_PURGE_SECONDS') ?? '3600', 'SWITCHBOARD_IDEMPOTENCY_PURGE_SECONDS', 1, 86_400),
    consoleIdleMinutes: int(pick(undefined, 'SWITCHBOARD_CONSOLE_IDLE_MINUTES') ?? '30', 'SWITCHBOARD_CONSOLE_IDLE_MINUTES', 1, 7 * 24 * 60),
    consoleSessionHours: int(pick(undefined, 'SWITCHBOARD_CONSOLE_SESSION_HOURS') ?? '12', 'SWITCHBOARD_CONSOLE_SESSION_HOURS', 1, 24 * 30),
    consoleSignInLimit: int(pick(undefined, 'SWITCHBOARD_CONSOLE_SIGNIN_LIMIT') ?? '5', 'SWITCHBOARD_CONSOLE_SIGNIN_LIMIT', 1, 1000),
  };
}

const GENERATE_HINT = 'openssl rand -base64 32';
// Random keys of the accepted encodings carry 4 to 6 bits per character; a string below this many
// bits by its own character statistics is a placeholder or a word, not a key.
const MIN_OBSERVED_BITS = 128;

/**
 * Why a master key (from SWITCHBOARD_MASTER_KEY or the master.key file) is unfit, or null when it
 * is fine: it must hold at least 32 bytes as 64+ hex characters or as base64/base64url (padding
 * optional), and must not be a repetition or otherwise obviously low in entropy. The key is used
 * as written (hashed to the AES key), so files generated by earlier versions stay valid.
 */
export function masterKeyProblem(key: string): string | null {
  const fix = `generate one with: ${GENERATE_HINT}`;
  const hex = /^[0-9a-fA-F]+$/.test(key);
  const b64 = /^[A-Za-z0-9+/_-]+={0,2}$/.test(key) && !(/[+/]/.test(key) && /[_-]/.test(key));
  if (!hex && !b64) return `must be 64+ hex characters or base64/base64url of 32+ bytes (got ${key.length} characters that are neither); ${fix}`;
  // A string of hex digits only is read as hex even though it is valid base64 too: a random base64
  // key is all hex digits with odds below 2^-60, and reading it as base64 would overstate it.
  const bytes = hex ? Math.floor(key.length / 2) : Math.floor((key.replace(/=+$/, '').length * 6) / 8);
  if (bytes < 32) return `must hold at least 32 bytes (64+ hex characters or 43+ base64 characters; got ${key.length} characters); ${fix}`;
  if (isRepetition(key) || observedBits(key) < MIN_OBSERVED_BITS) return `looks like a placeholder or a pattern, not a random key; ${fix}`;
  return null;
}

/** True when the string repeats a shorter one ("abcabcab..."). */
function isRepetition(s: string): boolean {
  for (let period = 1; period <= s.length / 2; period++) {
    if (s.slice(period) === s.slice(0, s.length - period)) return true;
  }
  return false;
}

/** Length times the Shannon entropy of the string's own character frequencies, in bits. */
function observedBits(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h * s.length;
}

function int(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
  }
  return n;
}

function bool(value: string | undefined, name: string): boolean {
  if (value === undefined) return false;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false (got "${value}")`);
}
