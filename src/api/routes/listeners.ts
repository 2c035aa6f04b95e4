import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { Id, JsonObject } from '../../domain/schemas.ts';
import type { ListenerService } from '../../services/listeners.ts';
import type { Notifier } from '../../store/notifier.ts';
import { MANAGERS, callerOf } from '../auth.ts';

// How often an idle stream looks for new deliveries when no wake-up comes (another process wrote
// them and this one does not LISTEN), and sends a comment so proxies keep the connection open.
const POLL_MS = 1_000;
const HEARTBEAT_MS = 15_000;
const SWEEP_MS = 60_000;

const Listener = Type.Object({
  id: Type.String({ description: 'The session id (wh_...); its deliveries are in GET /v1/deliveries/{id}' }),
  secret: Type.String({ description: 'The whsec_... secret that signs this session\'s deliveries; shown once' }),
  events: Type.Array(Type.String()),
  filter: Type.Union([JsonObject, Type.Null()]),
  abandon_after_s: Type.Integer({ description: 'A session with no stream connected for this long is removed' }),
});

const ListenerParams = Type.Object({ id: Id });
const ResultParams = Type.Object({ id: Id, delivery_id: Id });
const Result = Type.Object({
  status_code: Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Null()], { description: 'The local answer\'s status, null when it failed to answer' }),
  duration_ms: Type.Number({ minimum: 0, maximum: 86_400_000 }),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  body: Type.Optional(Type.String({ maxLength: 65_536 })),
  error: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  request_headers: Type.Optional(Type.Record(Type.String(), Type.String())),
});

/**
 * Listener sessions for `switchboard listen`: a session receives the company's events like an
 * endpoint and its deliveries are streamed as Server-Sent Events to the CLI, which forwards them to
 * a local URL and posts each answer back. Owners and admins only.
 */
export function listenerRoutes(app: App, listeners: ListenerService, notifier: Notifier) {
  const tags = ['listeners'];
  const config = { roles: MANAGERS };

  const sweeper = setInterval(() => {
    listeners.sweep().catch((err) => app.log.warn({ err }, 'listener sweep failed'));
  }, SWEEP_MS);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));
  // Open streams would keep the server from closing: end them when it starts to.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const stop of streams) stop();
  });

  app.post(
    '/v1/listeners',
    {
      config: { ...config, secretAnswer: (a: { id: string }) => `Listener session ${a.id} was created; create another (its secret is shown once).` },
      schema: {
        tags,
        operationId: 'createListener',
        summary: 'Open a listener session (what `switchboard listen` does)',
        description: 'Answers 201 with the session id and its signing secret (shown once). The session receives the company\'s events like an endpoint with these event patterns and filter; not listed in GET /v1/webhooks and not counted in the endpoint limit.',
        body: Type.Object({
          events: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 100 })),
          filter: Type.Optional(Type.Union([JsonObject, Type.Null()])),
        }),
        response: responses({ 201: Listener }),
      },
    },
    async (req, reply) => reply.code(201).send(await listeners.open(callerOf(req), req.body ?? {})),
  );

  app.get(
    '/v1/listeners/:id/stream',
    {
      config,
      schema: {
        tags,
        operationId: 'streamListener',
        summary: 'Stream the session\'s deliveries (text/event-stream)',
        description:
          'Each message: `id` = the delivery id, `event: delivery`, `data` = {delivery_id, event_id, type, headers, body} where headers are the signed request headers and body the exact text to send. ' +
          'Reconnect with `Last-Event-ID` to get the deliveries sent after that one and not yet answered.',
        params: ListenerParams,
        response: responses({ 200: { description: 'A Server-Sent Events stream', content: { 'text/event-stream': { schema: Type.String() } } } }),
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const row = await listeners.mustGet(caller, req.params.id);
      const lastEventId = req.headers['last-event-id'];
      let after = await listeners.resumeAfter(row, typeof lastEventId === 'string' ? lastEventId : undefined);
      await listeners.touch(row.id);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': connected\n\n');
      let open = true;
      let wakeClosed: () => void = () => {};
      const closed = new Promise<void>((resolve) => (wakeClosed = resolve));
      const stop = () => {
        open = false;
        wakeClosed();
      };
      req.raw.on('close', stop);
      res.on('error', stop);
      streams.add(stop);

      let lastSeq = 0;
      let lastBeat = Date.now();
      try {
        while (open) {
          if (Date.now() - lastBeat >= HEARTBEAT_MS) {
            lastBeat = Date.now();
            res.write(': keep-alive\n\n');
            await listeners.touch(row.id);
          }
          const batch = await listeners.nextBatch(row, after, lastSeq);
          if (!open) break;
          if (batch.messages.length > 0) {
            lastSeq = batch.lastSeq;
            after = batch.lastSeq;
            for (const m of batch.messages) res.write(`id: ${m.delivery_id}\nevent: delivery\ndata: ${JSON.stringify(m)}\n\n`);
            continue;
          }
          await Promise.race([notifier.wait(POLL_MS), closed]);
        }
      } catch (err) {
        req.log.warn({ err }, 'listener stream ended');
      } finally {
        req.raw.off('close', stop);
        streams.delete(stop);
        // The abandonment clock starts when the last stream goes.
        await listeners.touch(row.id).catch(() => {});
        if (!res.writableEnded) res.end();
      }
    },
  );

  app.post(
    '/v1/listeners/:id/deliveries/:delivery_id/result',
    {
      config,
      schema: {
        tags,
        operationId: 'reportListenerResult',
        summary: 'Report the local answer to a streamed delivery',
        description: 'Records the status, duration, response headers and body the local receiver answered as the delivery\'s one attempt, through the same outcome recording as the worker. A second result for the same delivery is a 409.',
        errors: { 409: 'The delivery already has its result (`conflict`).' },
        params: ResultParams,
        body: Result,
        response: responses({ 200: Type.Object({ outcome: Type.String() }) }),
      },
    },
    async (req) => listeners.result(callerOf(req), req.params.id, req.params.delivery_id, req.body),
  );

  app.delete(
    '/v1/listeners/:id',
    { config, schema: { tags, operationId: 'deleteListener', summary: 'End a listener session', description: 'Ends the session (what Ctrl-C in `switchboard listen` does); its deliveries and their log go with it. Abandoned sessions are removed after 5 minutes without a connection.', params: ListenerParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      await listeners.close(callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
