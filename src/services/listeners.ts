import type { ServiceContext, Caller } from './context.ts';
import { inTransaction } from './context.ts';
import { SwitchboardError, invalid, notFound } from '../domain/errors.ts';
import { generateSecret } from '../domain/signing.ts';
import { EVENT_TYPE_NAMES } from '../domain/event-types.ts';
import { validateEventPatterns, validateFilter } from '../domain/event-filter.ts';
import { SETUP_EVENT } from '../domain/webhook-rules.ts';
import * as store from '../store/listeners.ts';
import { endpointOf, settingsColumns, type WebhookRow } from '../store/webhooks.ts';
import { getDelivery } from '../store/deliveries.ts';
import { loadEvents } from '../store/sql/load-events.ts';
import { buildSignedRequest } from '../delivery/request.ts';
import { deliveryBody } from '../domain/alert-body.ts';
import { recordAttempts, type Outcome } from '../delivery/attempt-outcome.ts';

/**
 * A listener session with no stream connected for this long is removed, with its deliveries, by
 * the server (a `listen` that was killed without Ctrl-C). Also the window within which a dropped
 * stream resumes without loss. docs/webhooks.md ("Local development") states it.
 */
export const LISTENER_ABANDON_MS = 5 * 60_000;

/** What the CLI reports after forwarding one delivery to the local URL. */
export interface ListenerResultInput {
  status_code: number | null;
  duration_ms: number;
  headers?: Record<string, string>;
  body?: string;
  error?: string | null;
  /** The headers the CLI sent (the signed ones it was given); only the signed names are kept. */
  request_headers?: Record<string, string>;
}

/** One message of the stream: a delivery to forward, with its signed headers and exact body. */
export interface StreamMessage {
  delivery_id: string;
  event_id: string;
  type: string;
  headers: Record<string, string>;
  body: string;
}

const LOGGED_REQUEST_HEADERS = ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature'];
const MAX_RESPONSE_CHARS = 65_536;

export function createListenerService(ctx: ServiceContext) {
  const { db } = ctx.database;
  const eventTypes = [...EVENT_TYPE_NAMES];

  async function mustGet(caller: Caller, id: string): Promise<WebhookRow> {
    const row = await store.getListenerRow(db, caller.companyId, id);
    if (!row) throw notFound('listener', id);
    return row;
  }

  return {
    mustGet,

    /** Registers a session: an endpoint of kind listener with its own signing secret (returned once). */
    async open(caller: Caller, input: { events?: string[]; filter?: Record<string, unknown> | null }) {
      const events = input.events ?? ['*'];
      const filter = input.filter ?? null;
      const err = validateEventPatterns(events, eventTypes) ?? (filter === null ? null : validateFilter(filter));
      if (err) throw invalid(err.param, err.message);
      // conversation.setup is a synchronous call answered by one endpoint, not a queued event.
      const setup = events.indexOf(SETUP_EVENT);
      if (setup >= 0) throw invalid(`/events/${setup}`, `${SETUP_EVENT} is a synchronous call and cannot be listened to; test it with an endpoint (POST /v1/webhooks).`);
      const secret = generateSecret();
      const id = ctx.newId('wh');
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      const row = {
        id,
        company_id: caller.companyId,
        ...settingsColumns(
          {
            url: 'listen://cli',
            description: 'switchboard listen',
            events,
            filter,
            auth: { type: 'none' },
            headers: [],
            // One attempt: the local answer. A failed one ends the delivery (trigger again).
            retry: { schedule: [] },
            failure_threshold: 1_000_000,
            timeout_ms: 30_000,
            ordering: 'none',
            max_in_flight: 1,
            rate_limit_per_s: null,
            setup_failure: 'fallback',
            body_format: 'envelope',
          },
          ctx.secrets,
        ),
        status: 'active',
        secret: ctx.secrets.seal(secret),
        previous_secret: null,
        previous_secret_expires_at: null,
        failure_window_start: null,
        disabled_at: null,
        created_at: now,
        updated_at: now,
      };
      await inTransaction(ctx, caller.companyId, (work) => store.insertListener(work.trx, row, nowMs));
      return { id, secret, events, filter, abandon_after_s: LISTENER_ABANDON_MS / 1000 };
    },

    async close(caller: Caller, id: string): Promise<void> {
      const deleted = await inTransaction(ctx, caller.companyId, (work) => store.deleteListener(work.trx, caller.companyId, id));
      if (!deleted) throw notFound('listener', id);
    },

    touch: (id: string) => store.touchListener(db, id, Date.now()),

    /** Where a reconnect resumes: the stamp of the last delivery the client got, null for a fresh stream. */
    async resumeAfter(row: WebhookRow, lastEventId: string | undefined): Promise<number | null> {
      if (!lastEventId) return null;
      // An unknown id (not this session's): resend everything pending rather than lose any.
      return (await store.streamedSeqOf(db, row.id, lastEventId)) ?? 0;
    },

    /**
     * The next messages to send after `afterSeq`, signed now, stamped as sent from `lastSeq` up.
     * Returns the messages and the stamp of the last one.
     */
    async nextBatch(row: WebhookRow, afterSeq: number | null, lastSeq: number): Promise<{ messages: StreamMessage[]; lastSeq: number }> {
      const items = await store.pendingToStream(db, row.id, afterSeq, 100);
      if (items.length === 0) return { messages: [], lastSeq };
      const endpoint = endpointOf(row, ctx.secrets);
      const events = await loadEvents(db, ctx.database.dialect, items.map((i) => i.event_id));
      const messages: StreamMessage[] = [];
      const stamps: { id: string; seq: number }[] = [];
      let seq = Math.max(lastSeq, await store.lastStreamedSeq(db, row.id));
      for (const item of items) {
        const event = events.get(item.event_id);
        if (!event) continue;
        const body = deliveryBody(endpoint.bodyFormat, event.payload);
        const signed = buildSignedRequest(endpoint, { id: item.event_id, body });
        seq = Math.max(seq + 1, Date.now());
        stamps.push({ id: item.id, seq });
        messages.push({ delivery_id: item.id, event_id: item.event_id, type: event.type, headers: signed.headers, body });
      }
      await store.stampStreamed(db, stamps);
      return { messages, lastSeq: seq };
    },

    /** Records the local answer as the delivery's attempt, through the worker's outcome recording. */
    async result(caller: Caller, id: string, deliveryId: string, input: ListenerResultInput): Promise<{ outcome: Outcome }> {
      const row = await mustGet(caller, id);
      const d = await getDelivery(db, caller.companyId, deliveryId);
      if (!d || d.webhook_id !== id) throw notFound('delivery', deliveryId);
      if (d.status !== 'pending') throw new SwitchboardError('conflict', `Delivery ${deliveryId} already has its result (${d.status}).`);
      const events = await loadEvents(db, ctx.database.dialect, [d.event_id]);
      const logged: Record<string, string> = {};
      for (const [k, v] of Object.entries(input.request_headers ?? {})) if (LOGGED_REQUEST_HEADERS.includes(k.toLowerCase())) logged[k.toLowerCase()] = String(v);
      const [recorded] = await recordAttempts(ctx, [
        {
          claim: { id: d.id, company_id: d.company_id, event_id: d.event_id, webhook_id: id, attempt_count: Number(d.attempt_count), manual: false, lease_until: Number(d.lease_until), conversation_id: d.conversation_id, sequence: d.sequence === null ? null : Number(d.sequence) },
          endpoint: endpointOf(row, ctx.secrets),
          eventType: events.get(d.event_id)?.type ?? '',
          at: new Date(),
          loggedHeaders: JSON.stringify(logged),
          result: {
            statusCode: input.status_code,
            headers: input.headers ?? {},
            body: (input.body ?? '').slice(0, MAX_RESPONSE_CHARS),
            truncated: (input.body ?? '').length > MAX_RESPONSE_CHARS,
            durationMs: Math.max(0, Math.round(input.duration_ms)),
            error: input.error ?? null,
            errorCode: null,
          },
          // The local receiver's answers never disable a session (the failure rule judges real endpoints).
          countsForEndpoint: false,
        },
      ]);
      return { outcome: recorded.outcome };
    },

    /** Removes sessions whose stream has been gone longer than LISTENER_ABANDON_MS. */
    async sweep(now = Date.now()): Promise<number> {
      const gone = await store.abandonedListeners(db, now - LISTENER_ABANDON_MS);
      for (const s of gone) await inTransaction(ctx, s.company_id, (work) => store.deleteListener(work.trx, s.company_id, s.webhook_id));
      return gone.length;
    },
  };
}

export type ListenerService = ReturnType<typeof createListenerService>;
