import { Type } from 'typebox';
import { JsonObject, Nullable, Timestamp } from './schemas.ts';

/**
 * JSON Schemas of webhook endpoints and the delivery log. Request schemas check types and bounds;
 * the rules that need a precise message (URL, headers, auth per type, event names, filter, retry
 * schedule) are in webhook-rules.ts and answer 422 with the same JSON-pointer `param`.
 */

const HeaderPair = Type.Object(
  { key: Type.String({ maxLength: 256 }), value: Type.Optional(Type.String({ maxLength: 4096, description: 'Optional: absent or "" sends the header with an empty value' })) },
  { additionalProperties: false },
);

const Ordering = Type.Union([Type.Literal('none'), Type.Literal('conversation')], {
  description: '"conversation": one conversation\'s deliveries go strictly in sequence order, each waiting for the previous to succeed or be exhausted',
});
const SetupFailure = Type.Union([Type.Literal('fallback'), Type.Literal('reject')], {
  description: 'conversation.setup endpoints only: on failure open the conversation with the base config (fallback) or fail the create with 424 (reject)',
});

const BodyFormat = Type.Union([Type.Literal('envelope'), Type.Literal('slack')], {
  description: 'What the delivered body is: "envelope" (the event envelope) or "slack" ({"text": "<one-line summary>"}, for a Slack-compatible incoming webhook; only on endpoints subscribed to webhook.failed, webhook.recovered and delivery.exhausted alone). Signed the same way either way.',
});

/** Auth as accepted: one flat object, checked per type (so a 422 names the exact field). */
export const AuthInput = Type.Object(
  {
    type: Type.Union([Type.Literal('none'), Type.Literal('basic'), Type.Literal('api_key')]),
    username: Type.Optional(Type.String({ maxLength: 512 })),
    password: Type.Optional(Type.String({ maxLength: 1024, description: 'Sending back the mask "••••" keeps the stored password' })),
    in: Type.Optional(Type.Union([Type.Literal('header'), Type.Literal('query')])),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    value: Type.Optional(Type.String({ maxLength: 4096, description: 'Sending back the mask "••••" keeps the stored value' })),
  },
  { additionalProperties: false },
);

const AuthOutput = Type.Union([
  Type.Object({ type: Type.Literal('none') }),
  Type.Object({ type: Type.Literal('basic'), username: Type.String(), password: Type.String({ description: 'Always "••••"' }) }),
  Type.Object({
    type: Type.Literal('api_key'),
    in: Type.Union([Type.Literal('header'), Type.Literal('query')]),
    name: Type.String(),
    value: Type.String({ description: 'Always "••••"' }),
  }),
]);

const Retry = Type.Object(
  { schedule: Type.Array(Type.Number(), { description: 'Seconds to wait before each retry (whole numbers, 0..86400, at most 20); attempt 1 is immediate' }) },
  { additionalProperties: false },
);

const settings = {
  url: Type.String({ description: 'https:// URL (http:// only when the server allows insecure targets), at most 2048 characters, no credentials' }),
  description: Type.String({ maxLength: 1024 }),
  events: Type.Array(Type.String({ maxLength: 200 }), { description: 'Event types or `prefix.*` / `*` patterns; conversation.setup only by its exact name' }),
  filter: Nullable(JsonObject),
  auth: AuthInput,
  headers: Type.Array(HeaderPair, { description: 'At most 10; values are sent as written' }),
  retry: Retry,
  failure_threshold: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  timeout_ms: Type.Integer({ minimum: 100, maximum: 60_000 }),
  ordering: Ordering,
  max_in_flight: Type.Integer({ minimum: 1, maximum: 256 }),
  rate_limit_per_s: Nullable(Type.Integer({ minimum: 1, maximum: 10_000 })),
  setup_failure: SetupFailure,
  body_format: BodyFormat,
};

const optional = {
  url: Type.Optional(settings.url),
  description: Type.Optional(settings.description),
  events: Type.Optional(settings.events),
  filter: Type.Optional(settings.filter),
  auth: Type.Optional(settings.auth),
  headers: Type.Optional(settings.headers),
  retry: Type.Optional(settings.retry),
  failure_threshold: Type.Optional(settings.failure_threshold),
  timeout_ms: Type.Optional(settings.timeout_ms),
  ordering: Type.Optional(settings.ordering),
  max_in_flight: Type.Optional(settings.max_in_flight),
  rate_limit_per_s: Type.Optional(settings.rate_limit_per_s),
  setup_failure: Type.Optional(settings.setup_failure),
  body_format: Type.Optional(settings.body_format),
};

export const CreateWebhook = Type.Object({ ...optional, url: settings.url, events: settings.events }, { additionalProperties: false });
export const UpdateWebhook = Type.Object(optional, { additionalProperties: false });

export const Webhook = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('failed')], {
    description: 'inactive: disabled by a person; failed: disabled by the failure rule or a 410 answer',
  }),
  events: Type.Array(Type.String()),
  filter: Nullable(JsonObject),
  auth: AuthOutput,
  headers: Type.Array(Type.Object({ key: Type.String(), value: Type.String({ description: '"••••" when the key looks like a credential' }) })),
  retry: Type.Object({ schedule: Type.Array(Type.Number()) }),
  failure_threshold: Type.Integer(),
  timeout_ms: Type.Integer(),
  ordering: Ordering,
  max_in_flight: Type.Integer(),
  rate_limit_per_s: Nullable(Type.Integer()),
  setup_failure: SetupFailure,
  body_format: BodyFormat,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const WebhookSecret = Type.Object({ secret: Type.String({ description: 'whsec_<base64>; the HMAC key is the decoded bytes' }) });

export const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

export const Attempt = Type.Object({
  id: Type.String(),
  at: Timestamp,
  status_code: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  duration_ms: Type.Integer(),
  request_headers: Type.Record(Type.String(), Type.String(), { description: 'As sent, credentials masked' }),
  response_headers: Type.Record(Type.String(), Type.String()),
  response_body: Nullable(Type.String({ description: 'The first 64 KiB' })),
});

const deliveryFields = {
  id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  test: Type.Boolean({ description: 'true when the event is a test event ("Send test event"), not a real change' }),
  webhook_id: Type.String(),
  status: DeliveryStatus,
  next_attempt_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const DeliverySummary = Type.Object(deliveryFields);
export const Delivery = Type.Object({ ...deliveryFields, attempts: Type.Array(Attempt, { description: 'Oldest first' }) });
