/**
 * Schema DDL, written once with the few type names that differ per dialect. Each migration is an
 * ordered list of statements; they are never edited once released, only appended to.
 */
export interface DialectTypes {
  bigint: string;
  double: string;
  /** Appended to CREATE TABLE: SQLite stores the table in its primary key's order (a clustered index); nothing on PostgreSQL. */
  withoutRowid: string;
  /** A statement only PostgreSQL runs (e.g. a table's storage parameters); on SQLite it is left out. */
  postgresOnly: (statement: string) => string;
}

export interface Migration {
  id: string;
  statements: (t: DialectTypes) => string[];
}

export const MIGRATIONS: Migration[] = [
  {
    id: '0001_initial',
    statements: (t) => [
      `CREATE TABLE companies (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id), name TEXT NOT NULL,
        role TEXT NOT NULL, prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL, last_used_at TEXT)`,
      `CREATE INDEX api_keys_company ON api_keys (company_id, id)`,
      `CREATE TABLE users (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id), external_id TEXT,
        name TEXT, email TEXT, phone TEXT, attributes TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE INDEX users_company ON users (company_id, id)`,
      `CREATE UNIQUE INDEX users_external_id ON users (company_id, external_id) WHERE external_id IS NOT NULL`,
      `CREATE TABLE user_tags (
        company_id TEXT NOT NULL, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        tag TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (user_id, tag))`,
      `CREATE INDEX user_tags_company ON user_tags (company_id, tag)`,
      `CREATE TABLE conversations (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id), user_id TEXT,
        channel TEXT NOT NULL, direction TEXT NOT NULL, status TEXT NOT NULL, end_status TEXT,
        agent_id TEXT, assignee TEXT, department TEXT, context TEXT NOT NULL, client_data TEXT NOT NULL,
        custom_fields TEXT NOT NULL, agent_config TEXT NOT NULL, call_state TEXT,
        last_sequence INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE INDEX conversations_company ON conversations (company_id, id)`,
      `CREATE INDEX conversations_user ON conversations (user_id)`,
      `CREATE TABLE messages (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL, conversation_id TEXT NOT NULL REFERENCES conversations(id),
        direction TEXT NOT NULL, text TEXT, images TEXT NOT NULL, template TEXT, status TEXT NOT NULL,
        error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE INDEX messages_conversation ON messages (conversation_id, id)`,
      `CREATE TABLE events (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL, type TEXT NOT NULL, conversation_id TEXT,
        sequence INTEGER, payload TEXT NOT NULL, created_at TEXT NOT NULL)`,
      `CREATE INDEX events_company ON events (company_id, id)`,
      `CREATE INDEX events_company_type ON events (company_id, type, id)`,
      `CREATE UNIQUE INDEX events_conversation_sequence ON events (conversation_id, sequence) WHERE sequence IS NOT NULL`,
      `CREATE TABLE webhooks (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id), url TEXT NOT NULL,
        description TEXT NOT NULL, status TEXT NOT NULL, events TEXT NOT NULL, filter TEXT,
        auth TEXT NOT NULL, headers TEXT NOT NULL, retry TEXT NOT NULL, failure_threshold INTEGER NOT NULL,
        timeout_ms INTEGER NOT NULL, ordering TEXT NOT NULL, max_in_flight INTEGER NOT NULL,
        rate_limit_per_s INTEGER, setup_failure TEXT NOT NULL, secret TEXT NOT NULL, previous_secret TEXT,
        previous_secret_expires_at TEXT, failure_count INTEGER NOT NULL DEFAULT 0, failure_window_start TEXT,
        disabled_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE INDEX webhooks_company ON webhooks (company_id, id)`,
      `CREATE TABLE deliveries (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL, event_id TEXT NOT NULL, webhook_id TEXT NOT NULL,
        conversation_id TEXT, sequence INTEGER, status TEXT NOT NULL, attempt_count INTEGER NOT NULL DEFAULT 0,
        next_attempt_at ${t.bigint}, lease_until ${t.bigint}, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'`,
      `CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id)`,
      `CREATE UNIQUE INDEX deliveries_event_webhook ON deliveries (event_id, webhook_id)`,
      `CREATE INDEX deliveries_ordering ON deliveries (webhook_id, conversation_id, sequence) WHERE status = 'pending'`,
      `CREATE TABLE attempts (
        id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, webhook_id TEXT NOT NULL, at TEXT NOT NULL,
        status_code INTEGER, error TEXT, duration_ms INTEGER NOT NULL, request_headers TEXT NOT NULL,
        response_headers TEXT NOT NULL, response_body TEXT)`,
      `CREATE INDEX attempts_delivery ON attempts (delivery_id, id)`,
      `CREATE TABLE agents (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id), name TEXT NOT NULL,
        config TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE INDEX agents_company ON agents (company_id, id)`,
      `CREATE TABLE conversation_logs (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL, conversation_id TEXT NOT NULL, kind TEXT NOT NULL,
        name TEXT, request TEXT NOT NULL, status_code INTEGER, response_body TEXT, variables TEXT NOT NULL,
        duration_ms INTEGER NOT NULL, error TEXT, created_at TEXT NOT NULL)`,
      `CREATE INDEX conversation_logs_conversation ON conversation_logs (conversation_id, id)`,
      `CREATE TABLE idempotency_keys (
        company_id TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash TEXT NOT NULL, state TEXT NOT NULL,
        status_code INTEGER, response_body TEXT, created_at TEXT NOT NULL, expires_ms ${t.bigint} NOT NULL,
        PRIMARY KEY (company_id, idem_key))`,
      `CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_ms)`,
      `CREATE TABLE rate_limits (key_id TEXT PRIMARY KEY, tokens ${t.double} NOT NULL, updated_ms ${t.bigint} NOT NULL)`,
    ],
  },
  {
    id: '0002_delivery_engine',
    statements: () => [
      // Test events ("send test event") belong to one endpoint: recovery of another endpoint skips them.
      `ALTER TABLE events ADD COLUMN target_webhook_id TEXT`,
      // Recovery scans a company's events by time.
      `CREATE INDEX events_company_created ON events (company_id, created_at)`,
      // Parked deliveries of an endpoint (see store/queue.ts), un-parked when it is enabled.
      `CREATE INDEX deliveries_parked ON deliveries (webhook_id) WHERE status = 'pending' AND next_attempt_at IS NULL`,
    ],
  },
  {
    id: '0003_idempotency_per_key',
    statements: (t) => [
      // Idempotency records belong to the API key that made the request, not to its company: a
      // replay must never hand one key the answer another key got (an owner key's plaintext to an
      // admin). Rows of 0001 carry no key, so they cannot be attributed and are dropped; they live
      // 24 h at most, and only a retry that spans the upgrade runs a second time.
      `DROP TABLE idempotency_keys`,
      `CREATE TABLE idempotency_keys (
        key_id TEXT NOT NULL, idem_key TEXT NOT NULL, company_id TEXT NOT NULL, request_hash TEXT NOT NULL,
        state TEXT NOT NULL, status_code INTEGER, response_body TEXT, created_at TEXT NOT NULL,
        expires_ms ${t.bigint} NOT NULL, PRIMARY KEY (key_id, idem_key))`,
      `CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_ms)`,
    ],
  },
  {
    id: '0004_master_key_check',
    statements: () => [
      // The HMAC of a fixed label under the master key (store/master-key.ts): one row, written at
      // first start, compared at every start so a process with another key is refused.
      `CREATE TABLE master_key_check (id TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TEXT NOT NULL)`,
    ],
  },
  {
    id: '0005_console_members',
    statements: (t) => [
      // People who sign in to the console. An email signs in to one company, so it is unique server-wide.
      `CREATE TABLE members (
        id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id), email TEXT NOT NULL,
        name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE UNIQUE INDEX members_email ON members (email)`,
      `CREATE INDEX members_company ON members (company_id, id)`,
      // Console sessions live in the store so every API process behind a balancer knows them.
      // id_hash is the SHA-256 of the cookie value: a copy of the table signs nobody in.
      `CREATE TABLE console_sessions (
        id_hash TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL, created_ms ${t.bigint} NOT NULL, seen_ms ${t.bigint} NOT NULL)`,
      `CREATE INDEX console_sessions_member ON console_sessions (member_id)`,
      // Failed sign-ins per account and per address, in a fixed window (shared by every process).
      `CREATE TABLE sign_in_failures (bucket TEXT PRIMARY KEY, failures INTEGER NOT NULL, window_start_ms ${t.bigint} NOT NULL)`,
      // One-time invitation links: the token's SHA-256, valid until expires_ms, spent on use.
      `CREATE TABLE member_invites (
        token_hash TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
        expires_ms ${t.bigint} NOT NULL)`,
    ],
  },
  {
    id: '0006_listener_sessions',
    statements: (t) => [
      // A listener session (`switchboard listen`) is an endpoint row of kind 'listener': the same
      // fan-out serves it, but the SSE stream, not the HTTP worker, carries its deliveries.
      `ALTER TABLE webhooks ADD COLUMN kind TEXT NOT NULL DEFAULT 'endpoint'`,
      // When (epoch ms, strictly increasing per session) the stream sent a listener's delivery, so
      // a reconnect with Last-Event-ID resends exactly the ones sent after that id (or never sent).
      `ALTER TABLE deliveries ADD COLUMN streamed_seq ${t.bigint}`,
      `CREATE TABLE listener_sessions (
        webhook_id TEXT PRIMARY KEY REFERENCES webhooks(id) ON DELETE CASCADE, company_id TEXT NOT NULL,
        created_ms ${t.bigint} NOT NULL, seen_ms ${t.bigint} NOT NULL)`,
      `CREATE INDEX listener_sessions_seen ON listener_sessions (seen_ms)`,
    ],
  },
  {
    id: '0008_console_overview',
    statements: (t) => [
      // Attempts per endpoint and minute, by outcome, with a latency histogram l0..l11 (bounds in
      // store/attempt-rollup.ts): the console's overview reads at most one row per endpoint and
      // minute instead of every attempt. Integer columns, so concurrent writers add with one upsert.
      `CREATE TABLE attempt_minutes (
        company_id TEXT NOT NULL, webhook_id TEXT NOT NULL, minute ${t.bigint} NOT NULL,
        succeeded INTEGER NOT NULL DEFAULT 0, retrying INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
        ${Array.from({ length: 12 }, (_, i) => `l${i} INTEGER NOT NULL DEFAULT 0`).join(', ')},
        PRIMARY KEY (company_id, webhook_id, minute))`,
      `CREATE INDEX attempt_minutes_company ON attempt_minutes (company_id, minute)`,
    ],
  },
  {
    id: '0009_overview_grains_body_format',
    statements: (t) => {
      const counts = ['succeeded', 'retrying', 'failed', ...Array.from({ length: 12 }, (_, i) => `l${i}`)];
      return [
        // The per-minute rows made the 7-day view sum ~10,000 rows per endpoint (200 ms with a
        // million attempts). Now each attempt is added to three grains, the slot sizes of the
        // overview's ranges (1 minute for the hour, 15 for the day, 60 for the week), so every
        // range reads at most 168 rows per endpoint. The key starts with what every read filters
        // on and is the table's order on SQLite: a read is one contiguous range of one b-tree.
        `CREATE TABLE attempt_rollup (
          company_id TEXT NOT NULL, grain INTEGER NOT NULL, slot ${t.bigint} NOT NULL, webhook_id TEXT NOT NULL,
          ${counts.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(', ')},
          PRIMARY KEY (company_id, grain, slot, webhook_id))${t.withoutRowid}`,
        `INSERT INTO attempt_rollup (company_id, grain, slot, webhook_id, ${counts.join(', ')})
          SELECT m.company_id, g.grain, (m.minute / g.grain) * g.grain, m.webhook_id, ${counts.map((c) => `sum(m.${c})`).join(', ')}
          FROM attempt_minutes m CROSS JOIN (SELECT 1 AS grain UNION ALL SELECT 15 UNION ALL SELECT 60) g
          GROUP BY m.company_id, g.grain, (m.minute / g.grain) * g.grain, m.webhook_id`,
        `DROP TABLE attempt_minutes`,
        // What an endpoint's delivered body is: the envelope, or the one-line {"text"} of an alert
        // (domain/alert-body.ts).
        `ALTER TABLE webhooks ADD COLUMN body_format TEXT NOT NULL DEFAULT 'envelope'`,
      ];
    },
  },
  {
    id: '0010_manual_attempts',
    statements: () => [
      // POST /v1/deliveries/{id}/retry makes one attempt whatever the endpoint's status: the
      // claim takes a marked row even when its endpoint is inactive or failed; recording the
      // attempt clears the mark (store/delivery-outcomes.ts).
      `ALTER TABLE deliveries ADD COLUMN manual INTEGER NOT NULL DEFAULT 0`,
    ],
  },
  {
    id: '0011_claims_per_endpoint',
    statements: () => [
      // A claim that leaves out busy endpoints (their lanes are full) reads the front of the due
      // queue from the index alone, so skipping those endpoints' rows costs no table reads...
      `DROP INDEX deliveries_due`,
      `CREATE INDEX deliveries_due ON deliveries (next_attempt_at, webhook_id, id) WHERE status = 'pending'`,
      // ...and finds other endpoints' due rows behind that front per endpoint, in this index's
      // order, instead of scanning the whole backlog (store/sql/select-due.ts). It also holds the
      // parked rows (next_attempt_at NULL) that deliveries_parked indexed.
      `DROP INDEX deliveries_parked`,
      `CREATE INDEX deliveries_pending ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending'`,
    ],
  },
  {
    id: '0012_lease_without_index_writes',
    statements: (t) => [
      // A lease writes lease_until alone (store/sql/lease-deliveries.ts), which no index holds:
      // on PostgreSQL that is a HOT update if the row's page has room for the new version. Half
      // of each page is kept free for it; the success that follows writes the indexes anyway and
      // usually lands on the same page. Applies to pages written from now on.
      t.postgresOnly(`ALTER TABLE deliveries SET (fillfactor = 50)`),
    ],
  },
  {
    id: '0013_ordering_index_for_ordered_deliveries',
    statements: () => [
      // The ordering index held every pending delivery with a conversation, whatever its
      // endpoint's ordering; only ordered endpoints read it. Its entries are one per conversation
      // in every group commit (a page each), and finishing a delivery removed its entry: ~2.5 µs of
      // a drain's delivery and a third of an API group commit's pages. Now a delivery is marked
      // ordered when it is queued for an endpoint that orders by conversation (store/deliveries.ts),
      // and the index holds those alone.
      `ALTER TABLE deliveries ADD COLUMN ordered INTEGER NOT NULL DEFAULT 0`,
      `UPDATE deliveries SET ordered = 1 WHERE status = 'pending' AND conversation_id IS NOT NULL AND sequence IS NOT NULL
         AND webhook_id IN (SELECT id FROM webhooks WHERE ordering = 'conversation')`,
      `DROP INDEX deliveries_ordering`,
      `CREATE INDEX deliveries_ordering ON deliveries (webhook_id, conversation_id, sequence) WHERE status = 'pending' AND ordered = 1`,
    ],
  },
  {
    id: '0014_failed_deliveries_index',
    statements: () => [
      // An endpoint's failure log (GET /v1/webhooks/{id}/deliveries?status=failed, the console's
      // Failure logs) walked deliveries_webhook newest first and read every row to test its
      // status: with failures rare among a million successes, a page read the million. The failed
      // rows alone, in the list's order. A delivery enters it only when it fails for good, so the
      // queue's writes (fan-out, success) never touch it.
      `CREATE INDEX deliveries_failed ON deliveries (webhook_id, id) WHERE status = 'failed'`,
    ],
  },
];
