import http from 'node:http';
import { verify } from '../domain/signing.ts';

export interface ListenOptions {
  host: string;
  port: number;
  secret?: string;
  status: number;
  print: (line: string) => void;
}

/**
 * A local webhook receiver for development (`switchboard listen`): prints every delivery, checks
 * its signature when given the endpoint's secret, and answers with a chosen status.
 */
export async function listen(opts: ListenOptions): Promise<http.Server> {
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
      let signature = 'not checked (pass --secret)';
      if (opts.secret) {
        const ok = verify(opts.secret, { id, timestamp: String(req.headers['webhook-timestamp'] ?? ''), signature: String(req.headers['webhook-signature'] ?? '') }, body);
        signature = ok ? 'valid' : 'INVALID';
      }
      opts.print(`${new Date().toISOString()} ${req.method} ${req.url} ${type} ${id} signature ${signature} -> ${opts.status}`);
      opts.print(pretty);
      res.writeHead(opts.status, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  opts.print(`switchboard listen: receiving webhooks on http://${opts.host}:${port}/`);
  return server;
}
