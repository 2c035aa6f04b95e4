import type { ServiceContext, Caller, Work } from './context.ts';
import { inTransaction } from './context.ts';
import { SwitchboardError, invalid, notFound } from '../domain/errors.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import { generateSecret } from '../domain/signing.ts';
import { EVENT_TYPE_NAMES } from '../domain/event-types.ts';
import {
  isSetupEndpoint,
  maskedAfterMove,
  parseAuth,
  sameOrigin,
  SETUP_EVENT,
  unmaskAuth,
  unmaskHeaders,
  validateSettings,
  withoutCredentials,
  type AuthInput,
  type HeaderPair,
  type WebhookSettings,
} from '../domain/webhook-rules.ts';
import * as store from '../store/webhooks.ts';
import { notifyWorkers, unparkEndpoint } from '../store/queue.ts';

/** Create/patch input: the resource's settings, every field optional on patch. */
export interface WebhookInput {
  url?: string;
  description?: string;
  events?: string[];
  filter?: Record<string, unknown> | null;
  auth?: AuthInput;
  /** A header's value is optional: absent means an empty value, sent as an empty header. */
  headers?: { key: string; value?: string }[];
  retry?: { schedule: number[] };
  failure_threshold?: number;
  timeout_ms?: number;
  ordering?: 'none' | 'conversation';
  max_in_flight?: number;
  rate_limit_per_s?: number | null;
  setup_failure?: 'fallback' | 'reject';
  body_format?: 'envelope' | 'slack';
}

const DEFAULTS = {
  description: '',
  filter: null,
  auth: { type: 'none' },
  headers: [],
  retry: { schedule: [3, 3] },
  failure_threshold: 3,
  timeout_ms: 10_000,
  ordering: 'none',
  max_in_flight: 16,
  rate_limit_per_s: null,
  setup_failure: 'fallback',
  body_format: 'envelope',
} as const satisfies Omit<WebhookSettings, 'url' | 'events'>;
/** conversation.setup runs while a caller waits, so its endpoint gets a shorter default. */
const SETUP_TIMEOUT_MS = 5_000;
/** How long a rotated-out signing secret keeps signing alongside the new one. */
const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export function createWebhookService(ctx: ServiceContext) {
  const { db, dialect } = ctx.database;
  const eventTypes = [...EVENT_TYPE_NAMES];

  async function mustGet(caller: Caller, id: string): Promise<store.WebhookRow> {
    const row = await store.getWebhookRow(db, caller.companyId, id);
    if (!row) throw notFound('webhook', id);
    return row;
  }

  /** Applies input over base settings and checks every rule; throws a 422 naming the field. */
  function merge(base: WebhookSettings, input: WebhookInput, stored: WebhookSettings | null): WebhookSettings {
    // Credentials written for one origin are not carried to another (see withoutCredentials).
    const moved = stored !== null && input.url !== undefined && !sameOrigin(input.url, stored.url);
    if (moved) {
      base = { ...base, ...withoutCredentials(base) };
      stored = { ...stored!, ...withoutCredentials(stored!) };
    }
    let auth = base.auth;
    if (input.auth !== undefined) {
      const parsed = parseAuth(input.auth);
      if ('param' in parsed) throw invalid(parsed.param, parsed.message);
      auth = stored ? unmaskAuth(parsed, stored.auth) : parsed;
    }
    const given = input.headers?.map((h): HeaderPair => ({ key: h.key, value: h.value ?? '' }));
    const headers = given === undefined ? base.headers : stored ? unmaskHeaders(given, stored.headers) : given;
    if (moved) {
      const masked = maskedAfterMove(auth, headers);
      if (masked) throw invalid(masked.param, masked.message);
    }
    const next: WebhookSettings = {
      url: input.url ?? base.url,
      description: input.description ?? base.description,
      events: input.events ?? base.events,
      filter: input.filter === undefined ? base.filter : input.filter,
      auth,
      headers,
      retry: input.retry ?? base.retry,
      failure_threshold: input.failure_threshold ?? base.failure_threshold,
      timeout_ms: input.timeout_ms ?? base.timeout_ms,
      ordering: input.ordering ?? base.ordering,
      max_in_flight: input.max_in_flight ?? base.max_in_flight,
      rate_limit_per_s: input.rate_limit_per_s === undefined ? base.rate_limit_per_s : input.rate_limit_per_s,
      setup_failure: input.setup_failure ?? base.setup_failure,
      body_format: input.body_format ?? base.body_format,
    };
    const err = validateSettings(next, { allowHttp: ctx.config.allowHttp, eventTypes });
    if (err) throw invalid(err.param, err.message);
    return next;
  }

  /** At most one endpoint per company subscribes to conversation.setup (it is called, not queued). */
  async function checkOneSetupEndpoint(work: Work, companyId: string, self: string | null, events: string[]): Promise<void> {
    if (!isSetupEndpoint(events)) return;
    const others = await store.companyEndpointEvents(work.trx, companyId);
    const holder = others.find((o) => o.id !== self && isSetupEndpoint(o.events));
    if (holder) {
      throw invalid(`/events/${events.indexOf(SETUP_EVENT)}`, `Endpoint ${holder.id} already receives ${SETUP_EVENT}; a company has at most one.`);
    }
  }

  /** Sets the status, emitting webhook.recovered when a failed endpoint comes back. */
  async function setStatus(caller: Caller, id: string, status: 'active' | 'inactive', reason: string) {
    const row = await inTransaction(ctx, caller.companyId, async (work) => {
      const wh = await store.lockEndpointRow(work.trx, dialect, caller.companyId, id);
      if (!wh) throw notFound('webhook', id);
      const now = new Date().toISOString();
      if (status === 'active') {
        // Enabling always resets the failure counter, even on an endpoint that is already active.
        await store.updateWebhookRow(work.trx, id, { status, failure_count: 0, failure_window_start: null, disabled_at: null, updated_at: now });
        if (wh.status === 'failed') {
          await work.emit({
            type: 'webhook.recovered',
            data: { webhook: { id, url: wh.url, status: 'active', description: wh.description }, reason },
          });
        }
        // Its pending deliveries are claimable again.
        if (wh.status !== 'active') {
          await unparkEndpoint(work.trx, id, Date.now());
          await notifyWorkers(work.trx, dialect);
        }
      } else if (wh.status !== 'inactive') {
        await store.updateWebhookRow(work.trx, id, { status, disabled_at: now, updated_at: now });
      }
      return store.lockEndpointRow(work.trx, dialect, caller.companyId, id);
    });
    if (status === 'active') ctx.notifier.wake();
    return store.toWebhook(row!, ctx.secrets);
  }

  return {
    async list(caller: Caller, limit: number, cursor?: string) {
      const before = cursor ? decodeCursor(cursor, 'wh') : undefined;
      const rows = await store.listWebhookRows(db, caller.companyId, limit + 1, before);
      return pageOf(
        rows.map((r) => store.toWebhook(r, ctx.secrets)),
        limit,
      );
    },

    async get(caller: Caller, id: string) {
      return store.toWebhook(await mustGet(caller, id), ctx.secrets);
    },

    async create(caller: Caller, input: WebhookInput & { url: string; events: string[] }) {
      const settings = merge(
        {
          ...DEFAULTS,
          auth: DEFAULTS.auth,
          headers: [],
          retry: { schedule: [...DEFAULTS.retry.schedule] },
          url: input.url,
          events: input.events,
          timeout_ms: isSetupEndpoint(input.events) ? SETUP_TIMEOUT_MS : DEFAULTS.timeout_ms,
        },
        input,
        null,
      );
      const now = new Date().toISOString();
      const row = {
        id: ctx.newId('wh'),
        company_id: caller.companyId,
        ...store.settingsColumns(settings, ctx.secrets),
        status: 'active',
        secret: ctx.secrets.seal(generateSecret()),
        previous_secret: null,
        previous_secret_expires_at: null,
        failure_window_start: null,
        disabled_at: null,
        created_at: now,
        updated_at: now,
      };
      await inTransaction(ctx, caller.companyId, async (work) => {
        await store.lockCompany(work.trx, dialect, caller.companyId);
        const existing = await store.companyEndpointEvents(work.trx, caller.companyId);
        const max = ctx.config.maxWebhooksPerCompany;
        if (existing.length >= max) throw new SwitchboardError('limit_reached', `A company may have at most ${max} webhook endpoints.`, '/');
        await checkOneSetupEndpoint(work, caller.companyId, null, settings.events);
        await store.insertWebhook(work.trx, row);
      });
      return store.toWebhook({ ...row, failure_count: 0, kind: 'endpoint' }, ctx.secrets);
    },

    async update(caller: Caller, id: string, input: WebhookInput) {
      const row = await inTransaction(ctx, caller.companyId, async (work) => {
        await store.lockCompany(work.trx, dialect, caller.companyId);
        const wh = await store.lockEndpointRow(work.trx, dialect, caller.companyId, id);
        if (!wh) throw notFound('webhook', id);
        const stored = store.settingsOf(wh, ctx.secrets);
        const settings = merge(stored, input, stored);
        await checkOneSetupEndpoint(work, caller.companyId, id, settings.events);
        const set = { ...store.settingsColumns(settings, ctx.secrets), updated_at: new Date().toISOString() };
        await store.updateWebhookRow(work.trx, id, set);
        // Deliveries parked behind earlier ones of their conversation may go now, in any order.
        if (stored.ordering === 'conversation' && settings.ordering !== 'conversation') {
          await unparkEndpoint(work.trx, id, Date.now());
          await notifyWorkers(work.trx, dialect);
        }
        return { ...wh, ...set };
      });
      return store.toWebhook(row, ctx.secrets);
    },

    /** Deletes the endpoint; its pending deliveries stop, and its delivery log goes with it. */
    async remove(caller: Caller, id: string): Promise<void> {
      const deleted = await inTransaction(ctx, caller.companyId, (work) => store.deleteWebhook(work.trx, caller.companyId, id));
      if (!deleted) throw notFound('webhook', id);
    },

    async secret(caller: Caller, id: string): Promise<{ secret: string }> {
      return { secret: ctx.secrets.open((await mustGet(caller, id)).secret) };
    },

    /** A new signing secret; the old one keeps signing alongside for 24 h (one previous secret at a time). */
    async rotateSecret(caller: Caller, id: string): Promise<{ secret: string }> {
      const secret = generateSecret();
      await inTransaction(ctx, caller.companyId, async (work) => {
        const wh = await store.lockEndpointRow(work.trx, dialect, caller.companyId, id);
        if (!wh) throw notFound('webhook', id);
        const now = Date.now();
        await store.updateWebhookRow(work.trx, id, {
          secret: ctx.secrets.seal(secret),
          previous_secret: wh.secret,
          previous_secret_expires_at: new Date(now + ROTATION_OVERLAP_MS).toISOString(),
          updated_at: new Date(now).toISOString(),
        });
      });
      return { secret };
    },

    disable: (caller: Caller, id: string) => setStatus(caller, id, 'inactive', 'The endpoint was disabled.'),
    enable: (caller: Caller, id: string) => setStatus(caller, id, 'active', 'The endpoint was enabled.'),
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
