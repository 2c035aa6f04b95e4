import type { ColumnType, Generated } from 'kysely';

/**
 * Row types of every table, shared by both dialects. JSON is stored as text and timestamps as ISO
 * strings (which sort correctly as text), so one Kysely code path serves SQLite and PostgreSQL.
 * Scheduling columns are epoch milliseconds so workers can compare them cheaply.
 */
export interface Tables {
  schema_migrations: { id: string; applied_at: string };
  master_key_check: { id: string; value: string; created_at: string };
  companies: { id: string; name: string; created_at: string };
  api_keys: {
    id: string;
    company_id: string;
    name: string;
    role: string;
    prefix: string;
    key_hash: string;
    created_at: string;
    last_used_at: string | null;
  };
  users: {
    id: string;
    company_id: string;
    external_id: string | null;
    name: string | null;
    email: string | null;
    phone: string | null;
    attributes: string;
    created_at: string;
    updated_at: string;
  };
  user_tags: { company_id: string; user_id: string; tag: string; created_at: string };
  conversations: {
    id: string;
    company_id: string;
    user_id: string | null;
    channel: string;
    direction: string;
    status: string;
    end_status: string | null;
    agent_id: string | null;
    assignee: string | null;
    department: string | null;
    context: string;
    client_data: string;
    custom_fields: string;
    agent_config: string;
    call_state: string | null;
    last_sequence: Generated<number>;
    created_at: string;
    updated_at: string;
  };
  messages: {
    id: string;
    company_id: string;
    conversation_id: string;
    direction: string;
    text: string | null;
    images: string;
    template: string | null;
    status: string;
    error: string | null;
    created_at: string;
    updated_at: string;
  };
  events: {
    id: string;
    company_id: string;
    type: string;
    conversation_id: string | null;
    sequence: number | null;
    payload: string;
    created_at: string;
    /** Set on test events: the one endpoint they were sent to. */
    target_webhook_id: ColumnType<string | null, string | null | undefined, string | null>;
  };
  webhooks: {
    id: string;
    company_id: string;
    url: string;
    description: string;
    status: string;
    events: string;
    filter: string | null;
    auth: string;
    headers: string;
    retry: string;
    failure_threshold: number;
    timeout_ms: number;
    ordering: string;
    max_in_flight: number;
    rate_limit_per_s: number | null;
    setup_failure: string;
    /** 'envelope' | 'slack' (domain/alert-body.ts). */
    body_format: string;
    secret: string;
    previous_secret: string | null;
    previous_secret_expires_at: string | null;
    failure_count: Generated<number>;
    failure_window_start: string | null;
    disabled_at: string | null;
    created_at: string;
    updated_at: string;
    /** 'endpoint' (an HTTP endpoint) or 'listener' (a `switchboard listen` session; see store/listeners.ts). */
    kind: ColumnType<string, string | undefined, string>;
  };
  deliveries: {
    id: string;
    company_id: string;
    event_id: string;
    webhook_id: string;
    conversation_id: string | null;
    sequence: number | null;
    status: string;
    attempt_count: Generated<number>;
    next_attempt_at: number | null;
    lease_until: number | null;
    created_at: string;
    updated_at: string;
    /** Listener deliveries only: when the session's stream sent it (see store/listeners.ts). */
    streamed_seq: ColumnType<number | null, number | null | undefined, number | null>;
    /** 1 while a manual retry waits for its attempt: claimable whatever the endpoint's status. */
    manual: Generated<number>;
    /**
     * 1 when it was queued for an endpoint that orders by conversation and has a conversation and
     * a sequence: it goes in order, and the deliveries_ordering index holds it (store/deliveries.ts).
     */
    ordered: Generated<number>;
  };
  attempts: {
    id: string;
    delivery_id: string;
    webhook_id: string;
    at: string;
    status_code: number | null;
    error: string | null;
    duration_ms: number;
    request_headers: string;
    response_headers: string;
    response_body: string | null;
  };
  agents: { id: string; company_id: string; name: string; config: string; created_at: string; updated_at: string };
  attempt_rollup: {
    company_id: string;
    /** Minutes per slot: 1, 15 or 60 (store/attempt-rollup.ts GRAINS). */
    grain: number;
    /** The slot's first minute (minutes since the epoch, a multiple of grain). */
    slot: number;
    webhook_id: string;
    succeeded: number;
    retrying: number;
    failed: number;
    l0: number; l1: number; l2: number; l3: number; l4: number; l5: number;
    l6: number; l7: number; l8: number; l9: number; l10: number; l11: number;
  };
  conversation_logs: {
    id: string;
    company_id: string;
    conversation_id: string;
    kind: string;
    name: string | null;
    request: string;
    status_code: number | null;
    response_body: string | null;
    variables: string;
    duration_ms: number;
    error: string | null;
    created_at: string;
  };
  idempotency_keys: {
    /** The API key that made the request (`admin-token` for the server admin token). */
    key_id: string;
    company_id: string;
    idem_key: string;
    request_hash: string;
    state: string;
    status_code: number | null;
    response_body: string | null;
    created_at: string;
    expires_ms: number;
  };
  rate_limits: { key_id: string; tokens: number; updated_ms: number };
  members: {
    id: string;
    company_id: string;
    email: string;
    name: string;
    role: string;
    /** scrypt hash (see domain/passwords.ts); null until an invited member sets a password. */
    password_hash: string | null;
    created_at: string;
    updated_at: string;
  };
  console_sessions: { id_hash: string; member_id: string; csrf_token: string; created_ms: number; seen_ms: number };
  sign_in_failures: { bucket: string; failures: number; window_start_ms: number };
  member_invites: { token_hash: string; member_id: string; expires_ms: number };
  listener_sessions: { webhook_id: string; company_id: string; created_ms: number; seen_ms: number };
}
