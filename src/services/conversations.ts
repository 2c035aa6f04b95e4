import { isDeepStrictEqual } from 'node:util';
import type { ServiceContext, Caller, Work } from './context.ts';
import { inTransaction } from './context.ts';
import type { ConversationT } from '../domain/schemas.ts';
import { SwitchboardError, notFound } from '../domain/errors.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import * as store from '../store/conversations.ts';
import type { CallState, StoredConversation, ConversationFilter } from '../store/conversations.ts';
import { getUser } from '../store/users.ts';
import { mergeObject } from './users.ts';
import { eventTypeInfo } from '../domain/event-types.ts';
import { publicConversation } from '../domain/agents.ts';

export interface CreateConversationInput {
  user_id?: string;
  channel: ConversationT['channel'];
  direction: ConversationT['direction'];
  agent_id?: string;
  context?: Record<string, unknown>;
  client_data?: Record<string, unknown>;
  department?: string;
}

/**
 * What opening a conversation needs from outside the platform half: the agent's base
 * configuration and the conversation.setup call. The synchronous-webhook module provides it.
 */
export interface ConversationOpener {
  /** The agent's config (422 when the agent does not exist). */
  agentConfig(companyId: string, agentId: string): Promise<Record<string, unknown>>;
  /**
   * Runs conversation.setup for a draft (status `setup`) when the company has a setup endpoint.
   * Returns the context and agent config to open with, and a log entry writer to run inside the
   * creating transaction; or null when there is no setup endpoint.
   */
  setup(
    companyId: string,
    draft: ConversationT,
  ): Promise<{ context: Record<string, unknown>; agentConfig: Record<string, unknown>; log: (work: Work) => Promise<void> } | null>;
}

/** An event a conversation change emits; `data.conversation` is added by mutate. */
export interface ConversationChange {
  type: string;
  data?: Record<string, unknown>;
}

const noOpener: ConversationOpener = {
  async agentConfig(_companyId, agentId) {
    throw new SwitchboardError('resource_not_found', `No such agent: ${agentId}`, 'agent_id');
  },
  async setup() {
    return null;
  },
};

export function createConversationService(ctx: ServiceContext, opener: ConversationOpener = noOpener) {
  const { db, dialect } = ctx.database;

  async function mustGet(caller: Caller, id: string): Promise<StoredConversation> {
    const found = await store.getConversation(db, caller.companyId, id);
    if (!found) throw notFound('conversation', id);
    return found;
  }

  /**
   * The unit of every conversation write: locks the conversation, lets `change` edit it, saves it,
   * and emits the events `change` asked for, each with `data.conversation` as saved. `change`
   * returns null to write nothing (a no-op such as closing a closed conversation). `change` sees the
   * stored conversation (full agent_config); what is emitted and returned is the public view.
   */
  async function mutate(
    caller: Caller,
    id: string,
    change: (s: StoredConversation, work: Work) => Promise<ConversationChange[] | null>,
  ): Promise<ConversationT> {
    return inTransaction(ctx, caller.companyId, async (work) => {
      const s = await store.lockConversation(work.trx, dialect, caller.companyId, id);
      if (!s) throw notFound('conversation', id);
      const events = await change(s, work);
      if (events === null) return publicConversation(s.conversation);
      s.conversation.updated_at = new Date().toISOString();
      // We hold the conversation's lock, so we number its events here and save the counter with
      // the conversation: one write instead of one per event.
      const numbered = events.map((e) => ({ e, sequence: eventTypeInfo(e.type)?.sequenced ? ++s.lastSequence : undefined }));
      await store.saveConversation(work.trx, caller.companyId, s.conversation, s.call, s.lastSequence);
      const shown = publicConversation(s.conversation);
      for (const { e, sequence } of numbered) {
        await work.emit({ type: e.type, conversationId: id, sequence, data: { conversation: shown, ...e.data } });
      }
      return shown;
    });
  }

  /**
   * The unit of a change that adds to a conversation without editing it (a message): `write` adds
   * its rows, stamped `now` (the conversation's new updated_at), and returns the event's data.
   * The event's sequence number and updated_at are taken by one statement instead of mutate's
   * read and full write: this is the busiest write of the API. Ended conversations take nothing
   * more (409).
   */
  async function append(
    caller: Caller,
    id: string,
    type: string,
    write: (work: Work, now: string) => Promise<Record<string, unknown>>,
  ): Promise<ConversationT> {
    const sequenced = eventTypeInfo(type)?.sequenced ? 1 : 0;
    return inTransaction(ctx, caller.companyId, async (work) => {
      const now = new Date().toISOString();
      const s = await store.advanceConversation(work.trx, caller.companyId, id, sequenced, now);
      if (!s) {
        if (!(await store.getConversation(work.trx, caller.companyId, id))) throw notFound('conversation', id);
        throw new SwitchboardError('conflict', 'The conversation has ended.');
      }
      const data = await write(work, now);
      const shown = publicConversation(s.conversation);
      await work.emit({ type, conversationId: id, sequence: sequenced ? s.lastSequence : undefined, data: { conversation: shown, ...data } });
      return shown;
    });
  }

  return {
    mutate,
    append,
    /** The conversation as API answers show it (public agent_config). */
    get: async (caller: Caller, id: string) => publicConversation((await mustGet(caller, id)).conversation),
    /** The stored conversation, full agent_config included: for running its tools, never for answers. */
    getStored: mustGet,

    async list(caller: Caller, filter: ConversationFilter, limit: number, cursor?: string) {
      const before = cursor ? decodeCursor(cursor, 'conv') : undefined;
      const rows = await store.listConversations(db, caller.companyId, filter, limit + 1, before);
      return pageOf(rows.map(publicConversation), limit);
    },

    async create(caller: Caller, input: CreateConversationInput): Promise<ConversationT> {
      if (input.user_id && !(await getUser(db, caller.companyId, input.user_id))) {
        throw new SwitchboardError('resource_not_found', `No such user: ${input.user_id}`, 'user_id');
      }
      const baseConfig = input.agent_id ? await opener.agentConfig(caller.companyId, input.agent_id) : {};
      const now = new Date().toISOString();
      const conversation: ConversationT = {
        id: ctx.newId('conv'),
        user_id: input.user_id ?? null,
        channel: input.channel,
        direction: input.direction,
        status: 'setup',
        end_status: null,
        agent_id: input.agent_id ?? null,
        assignee: null,
        department: input.department ?? null,
        context: input.context ?? {},
        client_data: input.client_data ?? {},
        custom_fields: {},
        agent_config: baseConfig,
        created_at: now,
        updated_at: now,
      };
      // A conversation that arrives without context asks the customer's setup endpoint for it,
      // outside any transaction (it is a network call that may take seconds).
      const setup = input.context === undefined ? await opener.setup(caller.companyId, conversation) : null;
      if (setup) {
        conversation.context = setup.context;
        conversation.agent_config = setup.agentConfig;
      }
      conversation.status = 'open';
      const call: CallState | null =
        input.channel === 'phone' ? { started_at: null, answered_at: null, ended_at: null, legs: [] } : null;
      return inTransaction(ctx, caller.companyId, async (work) => {
        await store.insertConversation(work.trx, caller.companyId, conversation, call);
        if (setup) await setup.log(work);
        const shown = publicConversation(conversation);
        await work.emit({ type: 'conversation.created', conversationId: conversation.id, data: { conversation: shown } });
        return shown;
      });
    },

    /** Merges client_data and context (a null value removes a key). No event. */
    async patch(caller: Caller, id: string, input: { client_data?: Record<string, unknown>; context?: Record<string, unknown> }) {
      return mutate(caller, id, async (s) => {
        if (input.client_data) s.conversation.client_data = mergeObject(s.conversation.client_data, input.client_data);
        if (input.context) s.conversation.context = mergeObject(s.conversation.context, input.context);
        return [];
      });
    },

    async assign(caller: Caller, id: string, assignee: NonNullable<ConversationT['assignee']>) {
      return mutate(caller, id, async (s) => {
        s.conversation.assignee = assignee;
        if (assignee.department) s.conversation.department = assignee.department;
        return [{ type: 'conversation.assigned', data: { assignee } }];
      });
    },

    /** Closing a closed conversation changes nothing and emits nothing. */
    async close(caller: Caller, id: string) {
      return mutate(caller, id, async (s) => {
        if (s.conversation.status === 'closed') return null;
        if (s.conversation.status === 'ended') throw new SwitchboardError('conflict', 'The conversation has ended.');
        s.conversation.status = 'closed';
        return [{ type: 'conversation.closed' }];
      });
    },

    async end(caller: Caller, id: string, status: NonNullable<ConversationT['end_status']>) {
      return mutate(caller, id, async (s) => {
        if (s.conversation.status === 'ended') throw new SwitchboardError('conflict', 'The conversation has already ended.');
        s.conversation.status = 'ended';
        s.conversation.end_status = status;
        return [{ type: 'conversation.ended', data: { status } }];
      });
    },

    /** Sets one custom field; an unchanged value emits nothing. */
    async setCustomField(caller: Caller, id: string, key: string, value: unknown) {
      return mutate(caller, id, async (s) => {
        const fields = s.conversation.custom_fields;
        const previous = Object.hasOwn(fields, key) ? fields[key] : null;
        if (Object.hasOwn(fields, key) && isDeepStrictEqual(previous, value)) return null;
        s.conversation.custom_fields = { ...fields, [key]: value };
        return [{ type: 'conversation.custom_fields.updated', data: { key, value, previous_value: previous } }];
      });
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
