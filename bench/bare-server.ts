/**
 * The `api` scenario's baseline: a bare Fastify 5 app in its own process with one route,
 * `POST /v1/messages`, that parses the JSON body and answers 201 with a small JSON object. No auth,
 * no validation, no store: what the same machine does when the framework is the only cost.
 * Reports {type: 'ready', url} over IPC.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
let n = 0;
app.post('/v1/messages', async (req, reply) => {
  const body = req.body as { conversation_id?: string };
  n++;
  return reply.code(201).send({ id: `msg_${n}`, conversation_id: body.conversation_id ?? null, status: 'received' });
});
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;
process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
