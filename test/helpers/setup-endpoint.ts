import type { TestServer } from './server.ts';
import { generateSecret } from '../../src/domain/signing.ts';
import { insertWebhook, settingsColumns } from '../../src/store/webhooks.ts';
import type { WebhookAuth, HeaderPair } from '../../src/domain/webhook-rules.ts';

export interface SetupEndpointOptions {
  url: string;
  timeout_ms?: number;
  setup_failure?: 'fallback' | 'reject';
  status?: 'active' | 'inactive' | 'failed';
  auth?: WebhookAuth;
  headers?: HeaderPair[];
}

/**
 * Stores a conversation.setup endpoint for a company straight in the store, in the webhooks
 * table's storage format, so these tests do not depend on the webhook API's own rules.
 */
export async function addSetupEndpoint(t: TestServer, companyId: string, opts: SetupEndpointOptions): Promise<{ id: string; secret: string }> {
  const platform = t.server.platform;
  const secret = generateSecret();
  const id = platform.newId('wh');
  const now = new Date().toISOString();
  await insertWebhook(platform.database.db, {
    id,
    company_id: companyId,
    status: opts.status ?? 'active',
    ...settingsColumns(
      {
        url: opts.url,
        description: 'setup',
        events: ['conversation.setup'],
        filter: null,
        auth: opts.auth ?? { type: 'none' },
        headers: opts.headers ?? [],
        retry: { schedule: [3, 3] },
        failure_threshold: 3,
        timeout_ms: opts.timeout_ms ?? 5000,
        ordering: 'none',
        max_in_flight: 16,
        rate_limit_per_s: null,
        setup_failure: opts.setup_failure ?? 'fallback',
        body_format: 'envelope',
      },
      platform.secrets,
    ),
    secret: platform.secrets.seal(secret),
    previous_secret: null,
    previous_secret_expires_at: null,
    failure_window_start: null,
    disabled_at: null,
    created_at: now,
    updated_at: now,
  });
  return { id, secret };
}

/** The endpoint's failure counter and status, to check that setup calls never touch them. */
export async function endpointHealth(t: TestServer, id: string): Promise<{ status: string; failure_count: number }> {
  const row = await t.server.platform.database.db.selectFrom('webhooks').select(['status', 'failure_count']).where('id', '=', id).executeTakeFirstOrThrow();
  return { status: row.status, failure_count: Number(row.failure_count) };
}
