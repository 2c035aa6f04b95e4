/**
 * The event type catalog: names, what they mean, and whether they carry a per-conversation
 * `sequence`. Schemas and examples live in event-catalog.ts; this file is the short list the
 * write path needs.
 */
export interface EventTypeInfo {
  type: string;
  description: string;
  /** Carries the conversation's `sequence` (gapless, in commit order). */
  sequenced: boolean;
  /** Operational events describe an endpoint and are never sent to that endpoint. */
  operational?: boolean;
  /** Delivered synchronously only (conversation.setup), never queued. */
  synchronous?: boolean;
}

export const EVENT_TYPES: readonly EventTypeInfo[] = [
  { type: 'conversation.setup', description: 'Called synchronously before a conversation without context opens; the answer supplies context and agent overrides.', sequenced: false, synchronous: true },
  { type: 'conversation.created', description: 'A conversation was created.', sequenced: true },
  { type: 'conversation.assigned', description: 'A conversation was assigned to a person.', sequenced: true },
  { type: 'conversation.closed', description: 'A conversation was closed.', sequenced: true },
  { type: 'conversation.ended', description: 'A conversation (usually a call) ended with a final status.', sequenced: true },
  { type: 'conversation.custom_fields.updated', description: 'A custom field of a conversation changed value.', sequenced: true },
  { type: 'message.received', description: 'An inbound message arrived from the customer.', sequenced: true },
  { type: 'message.sent', description: 'An outbound message was sent.', sequenced: true },
  { type: 'message.delivered', description: 'An outbound message was delivered.', sequenced: true },
  { type: 'message.read', description: 'An outbound message was read.', sequenced: true },
  { type: 'message.failed', description: 'A message could not be delivered.', sequenced: true },
  { type: 'message.link_clicked', description: 'A link in a message was clicked.', sequenced: true },
  { type: 'user.created', description: 'A user (contact) was created.', sequenced: false },
  { type: 'user.updated', description: 'A user (contact) was updated.', sequenced: false },
  { type: 'tag.applied', description: 'A tag was applied to a user.', sequenced: false },
  { type: 'tag.removed', description: 'A tag was removed from a user.', sequenced: false },
  { type: 'call.initiated', description: 'A call was initiated.', sequenced: true },
  { type: 'call.dial_begin', description: 'Dialling of a call leg began.', sequenced: true },
  { type: 'call.answered', description: 'A call leg was answered.', sequenced: true },
  { type: 'call.ended', description: 'A call ended.', sequenced: true },
  { type: 'call.summary', description: 'Summary of an ended call: legs, durations, agent and department.', sequenced: true },
  { type: 'call.disposition', description: 'A disposition tag (and note) was set on a call.', sequenced: false },
  { type: 'webhook.failed', description: 'An endpoint was disabled by the failure rule or a 410 answer.', sequenced: false, operational: true },
  { type: 'webhook.recovered', description: 'A failed endpoint was enabled or recovered.', sequenced: false, operational: true },
  { type: 'delivery.exhausted', description: 'A delivery failed its last attempt.', sequenced: false, operational: true },
];

export const EVENT_TYPE_NAMES: readonly string[] = EVENT_TYPES.map((t) => t.type);

const BY_NAME = new Map(EVENT_TYPES.map((t) => [t.type, t]));

/** The catalog entry of a type, or undefined for an unknown name. */
export function eventTypeInfo(type: string): EventTypeInfo | undefined {
  return BY_NAME.get(type);
}

/** The API version stamped on every envelope. */
export const API_VERSION = '2026-11-01';
