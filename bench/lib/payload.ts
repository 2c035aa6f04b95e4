import { API_VERSION } from '../../src/domain/event-types.ts';

/**
 * Realistic event payloads: a `message.received` envelope of about 1 KiB, i.e. a customer message
 * of ~600 characters inside the envelope with its `data.conversation` and `data.message`, shaped
 * exactly as the outbox writes it (src/store/outbox.ts: JSON.stringify of the envelope, key order
 * id, type, api_version, created_at, company_id, sequence, data).
 */

const SENTENCES = [
  'Hi, I ordered the standing desk last Tuesday and the tracking page still says the parcel is waiting at the depot.',
  'Could you check whether it was split into two shipments, because I only received the frame and not the desktop itself?',
  'The order number is 4471-2209 and the delivery address is the office on the third floor, not my home address.',
  'If it cannot arrive before Friday I would rather cancel the desktop and keep the frame, as long as the refund goes back to the same card.',
  'Also, the assembly guide mentions a cable tray that was not in the box; is that sold separately or should it have been included?',
  'Thanks for your help, the chat on the website kept timing out so I am trying WhatsApp instead.',
];

/** About `chars` characters of natural text (default 600). */
export function messageText(chars = 600, seed = 0): string {
  let out = '';
  for (let i = seed; out.length < chars; i++) out += (out ? ' ' : '') + SENTENCES[i % SENTENCES.length];
  return out.slice(0, chars);
}

/** The body of `POST /v1/messages` the api and latency scenarios send. */
export function messageRequest(conversationId: string, i = 0): string {
  return JSON.stringify({ conversation_id: conversationId, direction: 'inbound', text: messageText(600, i % SENTENCES.length) });
}

/** The conversation create body (a WhatsApp inbound conversation with some context). */
export function conversationRequest(i = 0) {
  return {
    channel: 'whatsapp',
    direction: 'inbound',
    department: 'support',
    context: { customer_tier: 'gold', locale: 'en-GB' },
    client_data: { crm_id: `crm-${100000 + i}` },
  };
}

export interface EnvelopeInput {
  id: string;
  companyId: string;
  sequence: number;
  createdAt: string;
  conversation: Record<string, unknown>;
  messageId: string;
  text: string;
}

/** A `message.received` envelope as the outbox stores and sends it. */
export function messageEnvelope(e: EnvelopeInput): string {
  const conversation = { ...e.conversation, updated_at: e.createdAt };
  return JSON.stringify({
    id: e.id,
    type: 'message.received',
    api_version: API_VERSION,
    created_at: e.createdAt,
    company_id: e.companyId,
    sequence: e.sequence,
    data: {
      conversation,
      message: {
        id: e.messageId,
        conversation_id: e.conversation.id,
        direction: 'inbound',
        text: e.text,
        images: [],
        template: null,
        status: 'received',
        error: null,
        created_at: e.createdAt,
        updated_at: e.createdAt,
      },
    },
  });
}
