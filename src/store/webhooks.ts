import type { BodyFormat } from '../domain/alert-body.ts';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Tables } from './tables.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { decodeSecret } from '../domain/signing.ts';
import { isSetupEndpoint, maskAuth, maskHeaders, SETUP_EVENT, type HeaderPair, type WebhookAuth, type WebhookSettings } from '../domain/webhook-rules.ts';

/**
 * Webhook endpoint rows. Storage format (read by the synchronous-webhook module too):
 * `secret` = sealed "whsec_..." string; `previous_secret` = sealed old secret (signs alongside
 * until `previous_secret_expires_at`); `auth` = sealed JSON of the auth object; `headers` = sealed
 * JSON array of {key, value}; `events` = JSON array; `filter` = JSON or null; `retry` = JSON
 * {schedule}; `setup_failure` = 'fallback' | 'reject'.
 */

export type WebhookRow = Selectable<Tables['webhooks']>;
export type WebhookStatus = 'active' | 'inactive' | 'failed';
/**
 * 'listener' rows are `switchboard listen` sessions (store/listeners.ts): fanned out to like any
 * endpoint, but never listed, counted, edited or deleted through /v1/webhooks, and never claimed by
 * the HTTP worker.
 */
export type WebhookKind = 'endpoint' | 'listener';

/** The public resource: credentials masked, signing secret never included. */
export interface WebhookT extends WebhookSettings {
  id: string;
  status: WebhookStatus;
  created_at: string;
  updated_at: string;
}

/** An endpoint ready to be called: decrypted credentials and the signing keys in effect now. */
export interface Endpoint {
  id: string;
  companyId: string;
  /** An HTTP endpoint, or a `switchboard listen` session (whose failures are nobody's outage). */
  kind: WebhookKind;
  url: string;
  description: string;
  status: WebhookStatus;
  events: string[];
  filter: Record<string, unknown> | null;
  /** HMAC keys to sign with: the current secret first, then the previous one while it has not expired. */
  secrets: Buffer[];
  auth: WebhookAuth;
  headers: HeaderPair[];
  retrySchedule: number[];
  failureThreshold: number;
  timeoutMs: number;
  ordering: 'none' | 'conversation';
  maxInFlight: number;
  rateLimitPerS: number | null;
  setupFailure: 'fallback' | 'reject';
  /** What the delivered body is (domain/alert-body.ts). */
  bodyFormat: BodyFormat;
}

/** The decrypted settings of a row. */
export function settingsOf(row: WebhookRow, secrets: SecretBox): WebhookSettings {
  return {
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    filter: row.filter === null ? null : (JSON.parse(row.filter) as Record<string, unknown>),
    auth: JSON.parse(secrets.open(row.auth)) as WebhookAuth,
    headers: JSON.parse(secrets.open(row.headers)) as HeaderPair[],
    retry: JSON.parse(row.retry) as { schedule: number[] },
    failure_threshold: row.failure_threshold,
    timeout_ms: row.timeout_ms,
    ordering: row.ordering as WebhookSettings['ordering'],
    max_in_flight: row.max_in_flight,
    rate_limit_per_s: row.rate_limit_per_s,
    setup_failure: row.setup_failure as WebhookSettings['setup_failure'],
    body_format: row.body_format as WebhookSettings['body_format'],
  };
}

/** The columns that hold settings, credentials sealed. */
export function settingsColumns(s: WebhookSettings, secrets: SecretBox) {
  return {
    url: s.url,
    description: s.description,
    events: JSON.stringify(s.events),
    filter: s.filter === null ? null : JSON.stringify(s.filter),
    auth: secrets.seal(JSON.stringify(s.auth)),
    headers: secrets.seal(JSON.stringify(s.headers)),
    retry: JSON.stringify({ schedule: s.retry.schedule }),
    failure_threshold: s.failure_threshold,
    timeout_ms: s.timeout_ms,
    ordering: s.ordering,
    max_in_flight: s.max_in_flight,
    rate_limit_per_s: s.rate_limit_per_s,
    setup_failure: s.setup_failure,
    body_format: s.body_format,
  };
}

export function toWebhook(row: WebhookRow, secrets: SecretBox): WebhookT {
  const s = settingsOf(row, secrets);
  return {
    id: row.id,
    ...s,
    auth: maskAuth(s.auth),
    headers: maskHeaders(s.headers),
    status: row.status as WebhookStatus,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The signing keys in effect at `now`. */
export function signingKeys(row: Pick<WebhookRow, 'secret' | 'previous_secret' | 'previous_secret_expires_at'>, secrets: SecretBox, now = Date.now()): Buffer[] {
  const keys = [decodeSecret(secrets.open(row.secret))];
  if (row.previous_secret && row.previous_secret_expires_at && Date.parse(row.previous_secret_expires_at) > now) {
    keys.push(decodeSecret(secrets.open(row.previous_secret)));
  }
  return keys;
}

export function endpointOf(row: WebhookRow, secrets: SecretBox, now = Date.now()): Endpoint {
  const s = settingsOf(row, secrets);
  return {
    id: row.id,
    companyId: row.company_id,
    kind: row.kind as WebhookKind,
    url: s.url,
    description: s.description,
    status: row.status as WebhookStatus,
    events: s.events,
    filter: s.filter,
    secrets: signingKeys(row, secrets, now),
    auth: s.auth,
    headers: s.headers,
    retrySchedule: s.retry.schedule,
    failureThreshold: s.failure_threshold,
    timeoutMs: s.timeout_ms,
    ordering: s.ordering,
    maxInFlight: s.max_in_flight,
    rateLimitPerS: s.rate_limit_per_s,
    setupFailure: s.setup_failure,
    bodyFormat: s.body_format,
  };
}

/**
 * The endpoint of a row whose sealed columns cannot be opened (sealed under another master key):
 * its plain settings, no credentials and no signing keys. The worker uses it only to record each
 * delivery's failed attempt on the endpoint's retry schedule; nothing is ever sent with it.
 */
export function unreadableEndpointOf(row: WebhookRow): Endpoint {
  return {
    id: row.id,
    companyId: row.company_id,
    kind: row.kind as WebhookKind,
    url: row.url,
    description: row.description,
    status: row.status as WebhookStatus,
    events: JSON.parse(row.events) as string[],
    filter: row.filter === null ? null : (JSON.parse(row.filter) as Record<string, unknown>),
    secrets: [],
    auth: { type: 'none' },
    headers: [],
    retrySchedule: (JSON.parse(row.retry) as { schedule: number[] }).schedule,
    failureThreshold: row.failure_threshold,
    timeoutMs: row.timeout_ms,
    ordering: row.ordering as Endpoint['ordering'],
    maxInFlight: row.max_in_flight,
    rateLimitPerS: row.rate_limit_per_s,
    setupFailure: row.setup_failure as Endpoint['setupFailure'],
    bodyFormat: row.body_format as Endpoint['bodyFormat'],
  };
}

/** The decrypted endpoint with this id (any company, any status), or undefined. */
export async function loadEndpoint(db: Kysely<Tables>, secrets: SecretBox, id: string): Promise<Endpoint | undefined> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  return row && endpointOf(row, secrets);
}

/**
 * The company's conversation.setup endpoint (its `events` name `conversation.setup` exactly), or
 * undefined. Any status: the caller decides whether an inactive endpoint is called.
 */
export async function loadSetupEndpoint(db: Kysely<Tables>, secrets: SecretBox, companyId: string): Promise<Endpoint | undefined> {
  const rows = await db
    .selectFrom('webhooks')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('events', 'like', `%"${SETUP_EVENT}"%`)
    .orderBy('id')
    .execute();
  const row = rows.find((r) => isSetupEndpoint(JSON.parse(r.events) as string[]));
  return row && endpointOf(row, secrets);
}

export async function insertWebhook(db: Kysely<Tables>, row: Omit<WebhookRow, 'failure_count' | 'kind'> & { kind?: WebhookKind }): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

/** The rows of these endpoints (any company: the worker reads the endpoints of what it claimed). */
export async function webhookRowsByIds(db: Kysely<Tables>, ids: string[]): Promise<WebhookRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('webhooks').selectAll().where('id', 'in', ids).execute();
}

export async function getWebhookRow(db: Kysely<Tables>, companyId: string, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).where('company_id', '=', companyId).where('kind', '=', 'endpoint').executeTakeFirst();
}

/** lockWebhookRow for the /v1/webhooks resource: listener sessions are not endpoints there. */
export async function lockEndpointRow(trx: Kysely<Tables>, dialect: 'sqlite' | 'postgres', companyId: string, id: string): Promise<WebhookRow | undefined> {
  const row = await lockWebhookRow(trx, dialect, companyId, id);
  return row?.kind === 'endpoint' ? row : undefined;
}

/** Reads the row (any kind) and, on PostgreSQL, locks it until the transaction ends. */
export async function lockWebhookRow(trx: Kysely<Tables>, dialect: 'sqlite' | 'postgres', companyId: string, id: string): Promise<WebhookRow | undefined> {
  let q = trx.selectFrom('webhooks').selectAll().where('id', '=', id).where('company_id', '=', companyId);
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function listWebhookRows(db: Kysely<Tables>, companyId: string, limit: number, before?: string): Promise<WebhookRow[]> {
  let q = db.selectFrom('webhooks').selectAll().where('company_id', '=', companyId).where('kind', '=', 'endpoint');
  if (before) q = q.where('id', '<', before);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

/** Id and event patterns of every endpoint of a company (a few: the count is capped; listener sessions are not counted). */
export async function companyEndpointEvents(db: Kysely<Tables>, companyId: string): Promise<{ id: string; events: string[] }[]> {
  const rows = await db.selectFrom('webhooks').select(['id', 'events']).where('company_id', '=', companyId).where('kind', '=', 'endpoint').execute();
  return rows.map((r) => ({ id: r.id, events: JSON.parse(r.events) as string[] }));
}

/**
 * Serialises endpoint creation per company on PostgreSQL (the count cap and the one-setup-endpoint
 * rule are read-then-write checks); SQLite transactions are serial already.
 */
export async function lockCompany(trx: Kysely<Tables>, dialect: 'sqlite' | 'postgres', companyId: string): Promise<void> {
  if (dialect === 'postgres') await trx.selectFrom('companies').select('id').where('id', '=', companyId).forUpdate().execute();
}

export async function updateWebhookRow(db: Kysely<Tables>, id: string, set: Updateable<Tables['webhooks']>): Promise<void> {
  await db.updateTable('webhooks').set(set).where('id', '=', id).execute();
}

/** Deletes the endpoint with its deliveries and their attempts (its delivery log goes with it). */
export async function deleteWebhook(trx: Kysely<Tables>, companyId: string, id: string, kind: WebhookKind = 'endpoint'): Promise<boolean> {
  const row = await trx.selectFrom('webhooks').select('kind').where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
  if (row?.kind !== kind) return false;
  const ofEndpoint = trx.selectFrom('deliveries').select('id').where('webhook_id', '=', id).where('company_id', '=', companyId);
  await trx.deleteFrom('attempts').where('delivery_id', 'in', ofEndpoint).execute();
  await trx.deleteFrom('deliveries').where('webhook_id', '=', id).where('company_id', '=', companyId).execute();
  const res = await trx.deleteFrom('webhooks').where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
