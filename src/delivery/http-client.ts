import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { ALLOW_TARGETS_HINT, type Cidr } from '../domain/address-policy.ts';
import { checkHost, createGuardedLookup, TargetRefusedError } from './target-guard.ts';

/**
 * The one outbound HTTP client, shared by the webhook worker and the synchronous webhooks (tool
 * calls, conversation.setup): one keep-alive undici Agent per outbound path (each pooling
 * connections per origin, capped), every dial through the target guard, an overall deadline that
 * also covers the wait for a pooled connection, a bounded response read, and no exceptions —
 * every failure is a result.
 */

/**
 * The outbound paths. Each has its own connection pools, so a tool call or a setup call never
 * waits for a connection behind event deliveries to the same origin (nor the other way round).
 */
export const OUTBOUND_PATHS = ['delivery', 'setup', 'tool'] as const;
export type OutboundPath = (typeof OUTBOUND_PATHS)[number];

/** One origin's pool on one path, as undici counts it. */
export interface PoolStats {
  /** Connections open. */
  connected: number;
  /** Requests sent and not yet answered. */
  running: number;
  /** Requests waiting for a connection. */
  pending: number;
}

export interface HttpClientOptions {
  allowTargets: Cidr[];
  /**
   * Whether plain http:// targets may be sent to (SWITCHBOARD_ALLOW_HTTP). Checked at every send,
   * not only when a URL is saved: turning the setting off stops an endpoint saved while it was on.
   */
  allowHttp: boolean;
  /** Keep-alive connections per origin, on each outbound path (default 32). */
  connectionsPerOrigin?: number;
  /** Extra trusted CA certificate(s), added to the public roots (private PKI, tests). */
  ca?: string | Buffer;
  userAgent: string;
  /** Where refused targets are logged with the address they resolved to (never in the result). */
  logger?: Pick<Logger, 'warn'>;
}

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Which path's pools carry it (default `delivery`). */
  path?: OutboundPath;
  /** Deadline for the wait for a pooled connection + connect + headers + body. */
  timeoutMs: number;
  /** Response bytes kept (default 65536); the rest is discarded unread. */
  maxResponseBytes?: number;
  /** Fields for the server log line of a refused target, e.g. `{ webhook: 'wh_...' }`. */
  logContext?: Record<string, unknown>;
}

export type OutboundErrorCode = 'TIMEOUT' | 'TARGET_REFUSED' | 'CONNECTION' | 'DNS' | 'TLS' | 'INVALID_URL' | 'INVALID_REQUEST' | 'PROTOCOL';

export interface OutboundResult {
  statusCode: number | null;
  headers: Record<string, string>;
  /** The first maxResponseBytes bytes of the body, as UTF-8. */
  body: string;
  truncated: boolean;
  durationMs: number;
  error: string | null;
  errorCode: OutboundErrorCode | null;
}

export interface HttpClient {
  send(req: OutboundRequest): Promise<OutboundResult>;
  /** The pool of one origin (`https://host:port`) on one path, or null before its first request. */
  poolStats(path: OutboundPath, origin: string): PoolStats | null;
  close(): Promise<void>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 65_536;
const TARGETS_KEPT = 4096;

type Target = { origin: string; pathname: string; search: string } | { invalid: string } | { refused: TargetRefusedError };

/** The error of an http:// target on a server that allows only https:// (endpoints saved while it allowed both). */
export const HTTP_NOT_ALLOWED = 'refused: the URL is http:// and this server sends only to https:// targets (SWITCHBOARD_ALLOW_HTTP is off); change the URL to https://';

function parseTarget(raw: string, allow: Cidr[], allowHttp: boolean): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { invalid: `invalid URL: ${raw}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { invalid: `unsupported URL scheme ${url.protocol}` };
  if (url.protocol === 'http:' && !allowHttp) return { invalid: HTTP_NOT_ALLOWED };
  try {
    checkHost(url.hostname, allow);
  } catch (err) {
    if (err instanceof TargetRefusedError) return { refused: err };
    throw err;
  }
  return { origin: url.origin, pathname: url.pathname, search: url.search };
}

/** Builds the shared client; `send` never throws. */
export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const allow = opts.allowTargets;
  const baseConnect = buildConnector({
    lookup: createGuardedLookup(allow),
    // A CA given here adds to the public roots rather than replacing them, so real endpoints
    // keep working next to a private one.
    ...(opts.ca !== undefined ? { ca: [...tls.rootCertificates, opts.ca.toString()] } : {}),
  });
  const newAgent = () =>
    new Agent({
      connections: opts.connectionsPerOrigin ?? 32,
      // Second line of defence: IP literals never reach the lookup, so vet them again at the dial.
      connect(options, callback) {
        try {
          checkHost(options.hostname, allow);
        } catch (err) {
          callback(err as Error, null);
          return;
        }
        baseConnect(options, callback);
      },
    });
  const agents = Object.fromEntries(OUTBOUND_PATHS.map((p) => [p, newAgent()])) as Record<OutboundPath, Agent>;

  // An endpoint's URL is sent to thousands of times: parse it, and vet an IP literal against the
  // allow list (a pure function of the two), once. Names are vetted at every dial, by the lookup.
  const targets = new Map<string, Target>();
  function targetOf(raw: string): Target {
    let t = targets.get(raw);
    if (t) return t;
    t = parseTarget(raw, allow, opts.allowHttp);
    if (targets.size >= TARGETS_KEPT) targets.clear();
    targets.set(raw, t);
    return t;
  }

  function refuse(req: OutboundRequest, started: number, err: TargetRefusedError): OutboundResult {
    opts.logger?.warn({ ...req.logContext, hostname: err.hostname, address: err.address, rule: err.rule }, 'refused outbound target');
    return failed(started, 'TARGET_REFUSED', `${err.message}; ${ALLOW_TARGETS_HINT}`);
  }

  // No closures made per request: at thousands of deliveries a second each one is an allocation
  // (and, under tsx, a call that names it).
  async function send(req: OutboundRequest): Promise<OutboundResult> {
    const started = performance.now();
    const target = targetOf(req.url);
    if ('invalid' in target) return failed(started, 'INVALID_URL', target.invalid);
    if ('refused' in target) return refuse(req, started, target.refused);

    const headers = withUserAgent(req.headers, opts.userAgent);
    const res = new ResponseCollector(req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    // The overall deadline, covering the wait for a pooled connection too: a request still queued
    // in a full pool settles here, and is dropped by onConnect when its turn comes.
    const deadline = setTimeout(expire, req.timeoutMs, res);
    deadline.unref();
    try {
      const dispatcher = agents[req.path ?? 'delivery'];
      // No redirect option: undici 7 only follows redirects through its redirect interceptor,
      // which this agent never installs, so a 3xx comes back as the answer (a failure).
      dispatcher.dispatch(
        { origin: target.origin, path: target.pathname + target.search, method: req.method as Dispatcher.HttpMethod, headers, body: req.body, headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs },
        res,
      );
      await res.settled;
      const partial = { statusCode: res.statusCode, headers: res.headers, body: res.text(), truncated: res.truncated };
      if (res.timedOut) return failed(started, 'TIMEOUT', `timed out after ${req.timeoutMs} ms`, { ...partial, statusCode: null });
      if (res.error === null && res.statusCode !== null) return { ...partial, durationMs: elapsedMs(started), error: null, errorCode: null };
      const err = res.error ?? new Error('the response ended without a status');
      const refused = flattenErrors(err).find((e): e is TargetRefusedError => e instanceof TargetRefusedError);
      if (refused) return refuse(req, started, refused);
      const [code, message] = classify(err);
      return failed(started, code, res.statusCode === null ? message : `${message} (after status ${res.statusCode})`, { ...partial, statusCode: null });
    } finally {
      clearTimeout(deadline);
    }
  }

  return {
    send,
    poolStats(path, origin) {
      const stats = (agents[path].stats as Record<string, { connected: number; running: number; pending: number }>)[origin];
      return stats ? { connected: stats.connected, running: stats.running, pending: stats.pending } : null;
    },
    close: async () => {
      await Promise.all(OUTBOUND_PATHS.map((p) => agents[p].close()));
    },
  };
}

const elapsedMs = (started: number) => Math.round(performance.now() - started);

function failed(started: number, errorCode: OutboundErrorCode, error: string, partial?: Partial<OutboundResult>): OutboundResult {
  return { statusCode: null, headers: {}, body: '', truncated: false, ...partial, durationMs: elapsedMs(started), error, errorCode };
}

const expire = (res: ResponseCollector) => res.expire();

/**
 * The request's headers with a user-agent, unless it has one under any spelling. Signed requests
 * carry `user-agent`: theirs go as they are (undici only reads them). Otherwise a copy, so the
 * caller's stay as they are.
 */
function withUserAgent(given: Record<string, string>, userAgent: string): Record<string, string> {
  if (Object.hasOwn(given, 'user-agent')) return given;
  // Spread, so a header named `__proto__` stays a header.
  const headers: Record<string, string> = { ...given };
  if (!Object.keys(given).some((k) => k.toLowerCase() === 'user-agent')) headers['user-agent'] = userAgent;
  return headers;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED',
  'CERT_REJECTED', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO',
]);
const INVALID_REQUEST_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_CHAR']);

/** Maps an undici / net / tls error (possibly wrapped in `cause` or an AggregateError) to a code. */
function classify(err: unknown): [OutboundErrorCode, string] {
  const errors = flattenErrors(err);
  const message = errors.map((e) => e.message).find((m) => m) ?? String(err);
  for (const e of errors) {
    if (e instanceof TargetRefusedError || e.code === 'TARGET_REFUSED') return ['TARGET_REFUSED', e.message];
  }
  const codes = errors.map((e) => e.code ?? '');
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return ['TIMEOUT', message];
  if (codes.some((c) => DNS_CODES.has(c))) return ['DNS', message];
  if (codes.some((c) => TLS_CODES.has(c) || c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_') || c.startsWith('ERR_OSSL_'))) return ['TLS', message];
  if (codes.some((c) => INVALID_REQUEST_CODES.has(c))) return ['INVALID_REQUEST', message];
  if (codes.some((c) => c.startsWith('HPE_') || c === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || c === 'UND_ERR_RES_EXCEEDED_MAX_SIZE')) return ['PROTOCOL', message];
  return ['CONNECTION', message];
}

function flattenErrors(err: unknown, depth = 0): (Error & { code?: string })[] {
  if (!(err instanceof Error) || depth > 4) return [];
  const out: (Error & { code?: string })[] = [err as Error & { code?: string }];
  if (err instanceof AggregateError) for (const e of err.errors) out.push(...flattenErrors(e, depth + 1));
  if (err.cause !== undefined) out.push(...flattenErrors(err.cause, depth + 1));
  return out;
}

/**
 * One response, collected straight from undici's dispatch callbacks: the status, the headers and
 * at most `limit` bytes of body. No Readable stream, no AbortSignal and no promise per chunk: at
 * thousands of deliveries per second those were half of what a send cost (measured: ~107 µs of
 * CPU per request through `request()` with a signal, ~45 µs this way).
 */
class ResponseCollector implements Dispatcher.DispatchHandler {
  statusCode: number | null = null;
  headers: Record<string, string> = {};
  truncated = false;
  timedOut = false;
  error: Error | null = null;
  readonly settled: Promise<void>;
  private chunks: Buffer[] = [];
  private kept = 0;
  private done = false;
  private abortRequest: ((err: Error) => void) | null = null;
  private resolve!: () => void;

  constructor(private readonly limit: number) {
    this.settled = new Promise<void>((resolve) => (this.resolve = resolve));
  }

  text(): string {
    return this.chunks.length === 0 ? '' : Buffer.concat(this.chunks).toString('utf8');
  }

  /** The deadline passed: settle now, wherever the request is (queued, sending, reading). */
  expire(): void {
    if (this.done) return;
    this.timedOut = true;
    this.finish();
    this.abortRequest?.(new Error('deadline'));
  }

  private finish(err: Error | null = null): void {
    if (this.done) return;
    this.done = true;
    this.error = err;
    this.resolve();
  }

  onConnect(abort: (err?: Error) => void): void {
    // Its turn came after the deadline, or after the body was cut off: drop it unsent.
    if (this.done) {
      abort(new Error('deadline'));
      return;
    }
    this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (this.done || statusCode < 200) return true; // 1xx: informational, the answer follows
    this.statusCode = statusCode;
    this.headers = joinRawHeaders(rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    const room = this.limit - this.kept;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.kept = this.limit;
      this.truncated = true;
      this.finish();
      // Drop the connection instead of draining: the rest could be gigabytes. Not from inside
      // undici's own data callback.
      const abort = this.abortRequest;
      queueMicrotask(() => abort?.(new Error('response body truncated')));
      return true;
    }
    this.chunks.push(chunk);
    this.kept += chunk.length;
    return true;
  }

  onComplete(): void {
    this.finish();
  }

  onError(err: Error): void {
    this.finish(err);
  }
}

/**
 * undici's raw header list as lowercase names, repeated headers joined with `, `. A plain object
 * filled in place: building it on a null-prototype object and spreading that into a plain one
 * cost twice as much (2.7 against 1.4 µs for five headers), once per delivery. A header named
 * `__proto__` is defined as data, never set as the prototype.
 */
export function joinRawHeaders(raw: (Buffer | string)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('latin1');
    if (Object.hasOwn(out, name)) out[name] = `${out[name]}, ${value}`;
    else if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
  }
  return out;
}
