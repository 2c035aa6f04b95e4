// A Switchboard webhook receiver on Fastify: verify on the raw body, deduplicate, answer fast.
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';

const secret = process.env.SWITCHBOARD_WEBHOOK_SECRET; // "whsec_...", from GET /v1/webhooks/{id}/secret
if (!secret) throw new Error('Set SWITCHBOARD_WEBHOOK_SECRET to the endpoint secret (whsec_...).');
const wh = new Webhook(secret);
const seen = new Set(); // deliveries are at least once: in production, keep seen ids in your database

const app = Fastify();
// Keep JSON bodies as the exact text received: the signature covers those bytes, not a re-serialisation.
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

app.post('/hooks', async (req, reply) => {
  let event;
  try {
    event = wh.verify(req.body, req.headers);
  } catch {
    console.log('rejected: bad signature');
    return reply.code(400).send();
  }
  reply.code(204).send(); // answer at once; do the work after
  const id = req.headers['webhook-id'];
  if (seen.has(id)) return console.log(`duplicate ${id}`);
  seen.add(id);
  console.log(`verified ${event.type} ${id}`);
});

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${address}/hooks`);
