import type { ServiceContext, Caller } from './context.ts';
import type { ConversationService } from './conversations.ts';
import type { MessageT } from '../domain/schemas.ts';
import { SwitchboardError, notFound } from '../domain/errors.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import * as store from '../store/messages.ts';

export interface CreateMessageInput {
  conversation_id: string;
  direction: MessageT['direction'];
  text?: string;
  images?: string[];
  template?: Record<string, unknown>;
}

// A late receipt must not move a message backwards (a "delivered" after "read").
const RANK: Record<MessageT['status'], number> = { received: 0, sent: 0, delivered: 1, read: 2, failed: 3 };

export function createMessageService(ctx: ServiceContext, conversations: ConversationService) {
  const { db } = ctx.database;

  async function mustGet(caller: Caller, id: string): Promise<MessageT> {
    const m = await store.getMessage(db, caller.companyId, id);
    if (!m) throw notFound('message', id);
    return m;
  }

  return {
    get: mustGet,

    async listForConversation(caller: Caller, conversationId: string, limit: number, cursor?: string) {
      await conversations.get(caller, conversationId);
      const after = cursor ? decodeCursor(cursor, 'msg') : undefined;
      return pageOf(await store.listMessages(db, conversationId, limit + 1, after), limit);
    },

    /** Records a message: `message.received` when inbound, `message.sent` when outbound. */
    async create(caller: Caller, input: CreateMessageInput): Promise<MessageT> {
      if (input.text === undefined && !input.images?.length && !input.template) {
        throw new SwitchboardError('validation_failed', 'A message needs text, images or a template.', '/text');
      }
      let message!: MessageT;
      const type = input.direction === 'inbound' ? 'message.received' : 'message.sent';
      await conversations.append(caller, input.conversation_id, type, async (work, now) => {
        message = {
          id: ctx.newId('msg'),
          conversation_id: input.conversation_id,
          direction: input.direction,
          text: input.text ?? null,
          images: input.images ?? [],
          template: input.template ?? null,
          status: input.direction === 'inbound' ? 'received' : 'sent',
          error: null,
          created_at: now,
          updated_at: now,
        };
        await store.insertMessage(work.trx, caller.companyId, message);
        return { message };
      }).catch((err) => {
        // The conversation is named in the body, not the path: say which field is wrong.
        if (err instanceof SwitchboardError && err.code === 'resource_not_found') {
          throw new SwitchboardError('resource_not_found', `No such conversation: ${input.conversation_id}`, 'conversation_id');
        }
        throw err;
      });
      return message;
    },

    /** Records a delivery receipt; a repeated or stale receipt changes nothing. */
    async setStatus(caller: Caller, id: string, status: 'delivered' | 'read' | 'failed', error?: string): Promise<MessageT> {
      const current = await mustGet(caller, id);
      let message = current;
      await conversations.mutate(caller, current.conversation_id, async (_s, work) => {
        const m = await store.getMessage(work.trx, caller.companyId, id);
        if (!m) throw notFound('message', id);
        message = m;
        if (m.status === status || RANK[status] < RANK[m.status]) return null;
        message = { ...m, status, error: status === 'failed' ? (error ?? null) : null, updated_at: new Date().toISOString() };
        await store.updateMessageStatus(work.trx, message);
        const data: Record<string, unknown> = { message, status };
        if (status === 'failed') data.error = message.error;
        return [{ type: `message.${status}`, data }];
      });
      return message;
    },

    async click(caller: Caller, id: string, url: string): Promise<MessageT> {
      const message = await mustGet(caller, id);
      await conversations.mutate(caller, message.conversation_id, async () => [
        { type: 'message.link_clicked', data: { message, url } },
      ]);
      return message;
    },
  };
}

export type MessageService = ReturnType<typeof createMessageService>;
