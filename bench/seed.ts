/**
 * Seeds a backlog straight into the store, as if the events had been committed through the API
 * while no worker ran: `events` rows (1 KiB `message.received` envelopes, per-conversation sequence
 * numbers) and one `pending` delivery row per event and endpoint, exactly the rows the outbox
 * (src/store/outbox.ts + fan-out.ts) writes, in large transactions so 1,000,000 rows take seconds,
 * not the hours the HTTP API would. Runs as its own process while no server has the store open
 * (SQLite's lock is exclusive), prints {progress: events so far} after each transaction, then one JSON
 * line: {events, deliveries, ms}.
 *
 *   node --import tsx bench/seed.ts '<json SeedSpec>'
 */
import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.ts';
import { createIdFactory } from '../src/domain/ids.ts';
import { messageEnvelope, messageText } from './lib/payload.ts';

export interface SeedSpec {
  dataDir: string;
  databaseUrl: string | null;
  companyId: string;
  /** Conversations as the API returned them; events go round-robin over them. */
  conversations: Record<string, unknown>[];
  /** Every event gets one pending delivery per endpoint listed here. */
  webhookIds: string[];
  events: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as SeedSpec;
const started = performance.now();
const database = await openDatabase({ dataDir: spec.dataDir, databaseUrl: spec.databaseUrl, poolSize: 2 });
const { db } = database;
const newId = createIdFactory();
const texts = Array.from({ length: 6 }, (_, i) => messageText(600, i));

// Continue each conversation's sequence where it stands.
const convIds = spec.conversations.map((c) => String(c.id));
const rows = await db.selectFrom('conversations').select(['id', 'last_sequence']).where('id', 'in', convIds).execute();
const seq = new Map(rows.map((r) => [r.id, Number(r.last_sequence)]));

const EVENTS_PER_TX = 5000;
const EVENT_ROWS_PER_INSERT = 1000; // 7 columns: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters
const DELIVERY_ROWS_PER_INSERT = 2000; // 10 columns
let deliveries = 0;

for (let done = 0; done < spec.events; ) {
  const n = Math.min(EVENTS_PER_TX, spec.events - done);
  const events: { id: string; company_id: string; type: string; conversation_id: string; sequence: number; payload: string; created_at: string }[] = [];
  const dels: {
    id: string; company_id: string; event_id: string; webhook_id: string; conversation_id: string; sequence: number;
    status: string; next_attempt_at: number; created_at: string; updated_at: string;
  }[] = [];
  const now = Date.now();
  const createdAt = new Date(now).toISOString();
  for (let i = 0; i < n; i++) {
    const k = done + i;
    const conversation = spec.conversations[k % spec.conversations.length]!;
    const convId = String(conversation.id);
    const sequence = (seq.get(convId) ?? 0) + 1;
    seq.set(convId, sequence);
    const id = newId('evt');
    events.push({
      id,
      company_id: spec.companyId,
      type: 'message.received',
      conversation_id: convId,
      sequence,
      payload: messageEnvelope({ id, companyId: spec.companyId, sequence, createdAt, conversation, messageId: newId('msg'), text: texts[k % texts.length]! }),
      created_at: createdAt,
    });
    for (const wh of spec.webhookIds) {
      dels.push({
        id: newId('dlv'), company_id: spec.companyId, event_id: id, webhook_id: wh, conversation_id: convId, sequence,
        status: 'pending', next_attempt_at: now, created_at: createdAt, updated_at: createdAt,
      });
    }
  }
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < events.length; i += EVENT_ROWS_PER_INSERT) {
      await trx.insertInto('events').values(events.slice(i, i + EVENT_ROWS_PER_INSERT)).execute();
    }
    for (let i = 0; i < dels.length; i += DELIVERY_ROWS_PER_INSERT) {
      await trx.insertInto('deliveries').values(dels.slice(i, i + DELIVERY_ROWS_PER_INSERT)).execute();
    }
  });
  deliveries += dels.length;
  done += n;
  console.log(JSON.stringify({ progress: done }));
}

await db.transaction().execute(async (trx) => {
  for (const [id, last] of seq) await trx.updateTable('conversations').set({ last_sequence: last }).where('id', '=', id).execute();
});
if (database.dialect === 'postgres') await sql`ANALYZE`.execute(db);
else await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
await database.close();
console.log(JSON.stringify({ events: spec.events, deliveries, ms: Math.round(performance.now() - started) }));
