/**
 * The sender thread's side of threaded-http-client.ts: an outbound client of its own (the same
 * createHttpClient as the main thread's, so the same target rules, pools and deadlines), fed
 * requests in batches over the thread's port and answering in batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createHttpClient, type OutboundRequest, type OutboundResult } from './http-client.ts';
import { parseAllowList } from '../domain/address-policy.ts';
import type { FromSender, SenderSetup, ToSender } from './threaded-http-client.ts';

const port = parentPort!;
const setup = workerData as SenderSetup;
const client = createHttpClient({
  allowTargets: parseAllowList(setup.allowTargets),
  allowHttp: setup.allowHttp,
  ...(setup.ca === undefined ? {} : { ca: setup.ca }),
  userAgent: setup.userAgent,
  // Refused targets are logged by the main thread's logger, with the same fields.
  logger: { warn: (obj: object, msg?: string) => post({ type: 'log', obj, msg: msg ?? '' }) } as never,
});

// Answers that complete in one turn of this thread's loop go back in one message.
let answers: [number, OutboundResult][] = [];
function answer(id: number, result: OutboundResult): void {
  if (answers.length === 0) setImmediate(flush);
  answers.push([id, result]);
}
function flush(): void {
  const batch = answers;
  answers = [];
  post({ type: 'results', results: batch });
}
function post(m: FromSender): void {
  port.postMessage(m);
}

port.on('message', (m: ToSender) => {
  if (m.type === 'send') {
    for (const [id, req] of m.requests) void client.send(req as OutboundRequest).then((r) => answer(id, r));
  } else if (m.type === 'close') {
    void client.close().finally(() => {
      if (answers.length > 0) flush();
      post({ type: 'closed' });
      port.close();
    });
  }
});
post({ type: 'ready' });
