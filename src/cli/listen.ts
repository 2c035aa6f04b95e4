import http from 'node:http';
import { verify } from '../domain/signing.ts';
import { CliError, Unreachable, apiErrorLine, call, unreachable, type ApiTarget } from './client.ts';

/**
 * `switchboard listen --forward-to URL`: opens a listener session on the server (it receives the
 * company's events like an endpoint, signed with its own secret), reads its deliveries as
 * Server-Sent Events, forwards each to the local URL with the signed headers and the exact body,
 * prints one line per event and reports the local answer back, where it is recorded as the
 * delivery's attempt. No public URL and no tunnel: the CLI dials out to the server.
 */

export interface ForwardOptions {
  target: ApiTarget;
  forwardTo: string;
  events: string[];
  print: (line: string) => void;
  /** Called when the session is gone for good (removed on the server, key revoked). */
  signal?: AbortSignal;
}

interface StreamMessage {
  delivery_id: string;
  event_id: string;
  type: string;
  headers: Record<string, string>;
  body: string;
}

const FORWARD_TIMEOUT_MS = 30_000;
const MAX_BODY_CHARS = 65_536;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export interface ListenSession {
  id: string;
  /** Ends the session on the server (Ctrl-C). */
  close(): Promise<void>;
  /** Settles when the stream loop ends: after close(), or with a CliError when the session is gone. */
  done: Promise<void>;
}

export async function forward(opts: ForwardOptions): Promise<ListenSession> {
  let local: URL;
  try {
    local = new URL(opts.forwardTo);
    if (local.protocol !== 'http:' && local.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new CliError(`--forward-to ${opts.forwardTo} is not an http(s) URL; use e.g. http://127.0.0.1:3000/hooks`);
  }
  const session = await call<{ id: string; secret: string; events: string[]; abandon_after_s: number }>(opts.target, 'POST', '/v1/listeners', { events: opts.events });
  opts.print(`Ready: forwarding ${session.events.join(', ')} events from ${opts.target.api} to ${local.href} (session ${session.id}; Ctrl-C ends it)`);
  opts.print(`Webhook signing secret for this session (shown once): ${session.secret}`);

  const stop = new AbortController();
  let lastEventId: string | undefined;
  // Deliveries are forwarded one at a time, in the order the stream sent them.
  let queue: Promise<void> = Promise.resolve();
  const seen = new Set<string>();

  const handle = async (m: StreamMessage) => {
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let headers: Record<string, string> = {};
    let body = '';
    try {
      const res = await fetch(local, { method: 'POST', headers: m.headers, body: m.body, redirect: 'manual', signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
      statusCode = res.status;
      headers = Object.fromEntries(res.headers);
      body = (await res.text()).slice(0, MAX_BODY_CHARS);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      error = (err as Error).name === 'TimeoutError' ? `no answer within ${FORWARD_TIMEOUT_MS / 1000} s` : `${cause?.code ?? (err as Error).message} (${local.host})`;
    }
    const ms = Math.round(performance.now() - started);
    const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const answer = statusCode === null ? `✗ ${error}` : `${ok ? '✓' : '✗'} ${statusCode}`;
    opts.print(`${new Date().toISOString()}  ${m.type}  ${m.event_id}  ${answer}  ${ms} ms  ${m.delivery_id}`);
    const result = { status_code: statusCode, duration_ms: ms, headers, body, error, request_headers: m.headers };
    // The answer is recorded on the server as this delivery's attempt; a dropped connection is retried.
    for (let tries = 0; ; tries++) {
      try {
        await call(opts.target, 'POST', `/v1/listeners/${session.id}/deliveries/${m.delivery_id}/result`, result);
        return;
      } catch (err) {
        if (stop.signal.aborted || tries >= 20) {
          opts.print(`  (the answer to ${m.delivery_id} was not recorded: ${(err as Error).message})`);
          return;
        }
        if (!(err instanceof Unreachable)) {
          opts.print(`  (the answer to ${m.delivery_id} was not recorded: ${(err as Error).message})`);
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  const streamOnce = async (): Promise<void> => {
    let res: Response;
    try {
      res = await fetch(`${opts.target.api}/v1/listeners/${session.id}/stream`, {
        headers: { authorization: `Bearer ${opts.target.key}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
        signal: stop.signal,
      });
    } catch (err) {
      if (stop.signal.aborted) return;
      throw new Retry(unreachable(opts.target.api, err));
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      if (res.status === 404) throw new CliError(`the server ended listener session ${session.id} (no connection for ${session.abandon_after_s} s, or it was deleted); run listen again`);
      if (res.status >= 500) throw new Retry(`${res.status} from the server`);
      throw new CliError(apiErrorLine(res.status, text, opts.target));
    }
    reconnectDelay = RECONNECT_MIN_MS;
    if (lost) {
      opts.print('reconnected');
      lost = false;
    }
    const decoder = new TextDecoder();
    let buf = '';
    let id: string | undefined;
    let data: string[] = [];
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (line === '') {
            if (data.length > 0) {
              const m = JSON.parse(data.join('\n')) as StreamMessage;
              if (id) lastEventId = id;
              if (!seen.has(m.delivery_id)) {
                seen.add(m.delivery_id);
                queue = queue.then(() => handle(m));
              }
            }
            id = undefined;
            data = [];
          } else if (line.startsWith(':')) {
            continue;
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'data') data.push(value);
          }
        }
      }
    } catch (err) {
      if (stop.signal.aborted) return;
      throw new Retry(`the stream broke (${(err as Error).message})`);
    }
    if (!stop.signal.aborted) throw new Retry('the server closed the stream');
  };

  let reconnectDelay = RECONNECT_MIN_MS;
  let lost = false;
  const done = (async () => {
    while (!stop.signal.aborted) {
      try {
        await streamOnce();
      } catch (err) {
        if (!(err instanceof Retry)) {
          stop.abort();
          throw err;
        }
        if (!lost) opts.print(`connection lost: ${err.message}; reconnecting (resuming after ${lastEventId ?? 'the start'})`);
        lost = true;
        await new Promise((r) => setTimeout(r, reconnectDelay));
        reconnectDelay = Math.min(RECONNECT_MAX_MS, reconnectDelay * 2);
      }
    }
  })();

  return {
    id: session.id,
    done,
    async close() {
      stop.abort();
      await done.catch(() => {});
      await call(opts.target, 'DELETE', `/v1/listeners/${session.id}`).catch(() => {});
      opts.print(`session ${session.id} ended`);
    },
  };
}

/** A stream failure worth reconnecting for (server restarting, network blip). */
class Retry extends Error {}

export interface ReceiveOptions {
  host: string;
  port: number;
  secret?: string;
  status: number;
  print: (line: string) => void;
}

/**
 * `switchboard listen --port N`: a bare local receiver that prints every delivery sent to it and
 * checks its signature when given the secret. A bad signature is answered 400 and printed as a
 * failure (✗), as a real receiver would treat it.
 */
export async function receive(opts: ReceiveOptions): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      let type = '?';
      let pretty = body;
      try {
        const parsed = JSON.parse(body);
        type = parsed.type ?? '?';
        pretty = JSON.stringify(parsed, null, 2);
      } catch {
        /* not JSON: print as received */
      }
      let status = opts.status;
      let signature = 'not checked (pass --secret)';
      if (opts.secret) {
        const ok = verify(opts.secret, { id, timestamp: String(req.headers['webhook-timestamp'] ?? ''), signature: String(req.headers['webhook-signature'] ?? '') }, body);
        signature = ok ? 'valid' : 'INVALID';
        if (!ok) status = 400;
      }
      const mark = status >= 200 && status < 300 ? '✓' : '✗';
      opts.print(`${new Date().toISOString()} ${req.method} ${req.url} ${type} ${id} signature ${signature} ${mark} ${status}`);
      opts.print(pretty);
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{"received":true}' : '{"error":"bad signature"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new CliError(`port ${opts.port} on ${opts.host} is in use; pick another with --port (0 picks a free one)`));
      else if (err.code === 'EACCES') reject(new CliError(`not allowed to listen on port ${opts.port}; pick one above 1023 with --port`));
      else reject(new CliError(`cannot listen on ${opts.host}:${opts.port}: ${err.message}`));
    });
    server.listen(opts.port, opts.host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  opts.print(`switchboard listen: receiving webhooks on http://${opts.host}:${port}/`);
  return server;
}
