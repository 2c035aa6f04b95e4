// A Switchboard webhook receiver on Express: verify on the raw body, deduplicate, answer fast.
import express from 'express';
import { Webhook } from 'standardwebhooks';

const secret = process.env.SWITCHBOARD_WEBHOOK_SECRET; // "whsec_...", from GET /v1/webhooks/{id}/secret
if (!secret) throw new Error('Set SWITCHBOARD_WEBHOOK_SECRET to the endpoint secret (whsec_...).');
const wh = new Webhook(secret);
const seen = new Set(); // deliveries are at least once: in production, keep seen ids in your database

const app = express();
// express.raw keeps the body as bytes: the signature covers them exactly, so never verify a
// re-serialised express.json() body.
app.post('/hooks', express.raw({ type: 'application/json', limit: '2mb' }), (req, res) => {
  let event;
  try {
    event = wh.verify(req.body.toString('utf8'), req.headers);
  } catch {
    console.log('rejected: bad signature');
    return res.status(400).end();
  }
  res.status(204).end(); // answer at once; do the work after
  const id = req.get('webhook-id');
  if (seen.has(id)) return console.log(`duplicate ${id}`);
  seen.add(id);
  console.log(`verified ${event.type} ${id}`);
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/hooks`);
});
