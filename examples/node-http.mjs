// A Switchboard webhook receiver on node:http: verify on the raw body, deduplicate, answer fast.
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const secret = process.env.SWITCHBOARD_WEBHOOK_SECRET; // "whsec_...", from GET /v1/webhooks/{id}/secret
if (!secret) throw new Error('Set SWITCHBOARD_WEBHOOK_SECRET to the endpoint secret (whsec_...).');
const wh = new Webhook(secret);
const seen = new Set(); // deliveries are at least once: in production, keep seen ids in your database

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c)).on('end', () => {
    let event;
    try { event = wh.verify(Buffer.concat(chunks).toString('utf8'), req.headers); } // the raw body, before any JSON parsing
    catch { console.log('rejected: bad signature'); return res.writeHead(400).end(); }
    res.writeHead(204).end(); // answer at once; do the work after
    const id = req.headers['webhook-id'];
    if (seen.has(id)) return console.log(`duplicate ${id}`);
    seen.add(id);
    console.log(`verified ${event.type} ${id}`);
  });
}).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', function () {
  console.log(`listening on http://127.0.0.1:${this.address().port}/hooks`);
});
