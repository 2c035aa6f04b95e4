import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ToolRequest {
  method: string;
  /** Path and query exactly as sent (percent-encoding kept). */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type ToolAnswer = { status: number; body?: unknown } | 'hang';

export interface ToolReceiver {
  url: string;
  requests: ToolRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for a customer's API behind tool webhooks. `answer`
 * picks the reply; by default it echoes the request back as JSON.
 */
export async function startToolReceiver(answer: (r: ToolRequest) => ToolAnswer | undefined = () => undefined): Promise<ToolReceiver> {
  const requests: ToolRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r: ToolRequest = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      const a = answer(r) ?? { status: 200, body: { method: r.method, url: r.url, body: r.body ? JSON.parse(r.body) : null } };
      if (a === 'hang') {
        hanging.add(res);
        return;
      }
      const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {});
      res.writeHead(a.status, { 'content-type': typeof a.body === 'string' ? 'text/plain' : 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
