import type { ServiceContext, Caller } from './context.ts';
import type { ConversationService, ConversationChange } from './conversations.ts';
import type { ConversationT } from '../domain/schemas.ts';
import type { CallLeg, CallState } from '../store/conversations.ts';
import { SwitchboardError } from '../domain/errors.ts';

export type CallEventType = 'initiated' | 'dial_begin' | 'answered' | 'ended';

export interface LegInput {
  role: 'agent' | 'customer';
  number?: string;
  agent?: string;
}

const ms = (from: string | null, to: string | null) => (from && to ? Date.parse(to) - Date.parse(from) : null);

/** The leg this event is about: same role and number, else the latest leg of that role. */
function findLeg(call: CallState, input: LegInput): CallLeg | undefined {
  const sameRole = call.legs.filter((l) => l.role === input.role);
  return sameRole.find((l) => input.number !== undefined && l.number === input.number) ?? sameRole.at(-1);
}

/** The call.summary payload: all legs with durations, the assignee as agent, the department. */
export function callSummary(conversation: ConversationT, call: CallState): Record<string, unknown> {
  const a = conversation.assignee;
  return {
    call: {
      started_at: call.started_at,
      answered_at: call.answered_at,
      ended_at: call.ended_at,
      duration_ms: ms(call.started_at, call.ended_at),
      talk_ms: ms(call.answered_at, call.ended_at),
      end_status: conversation.end_status,
    },
    legs: call.legs.map((l) => ({ ...l, duration_ms: ms(l.answered_at ?? l.started_at, l.ended_at) })),
    agent: a ? { name: a.name ?? null, email: a.email ?? null, extension: a.extension ?? null } : null,
    department: conversation.department ? { id: conversation.department, name: conversation.department } : null,
  };
}

export function createCallService(_ctx: ServiceContext, conversations: ConversationService) {
  return {
    /** Records a call progress event; `ended` is followed by call.summary in the same commit. */
    async record(caller: Caller, id: string, type: CallEventType, legInput?: LegInput): Promise<ConversationT> {
      return conversations.mutate(caller, id, async (s) => {
        if (s.conversation.channel !== 'phone' || !s.call) {
          throw new SwitchboardError('conflict', 'Call events need a conversation with channel "phone".');
        }
        const call = s.call;
        if (call.ended_at) throw new SwitchboardError('conflict', 'The call has already ended.');
        const now = new Date().toISOString();
        let leg = legInput ? findLeg(call, legInput) : undefined;
        if (legInput && (!leg || type === 'dial_begin')) {
          leg = { role: legInput.role, number: legInput.number ?? null, agent: legInput.agent ?? null, started_at: now, answered_at: null, ended_at: null };
          call.legs.push(leg);
        }
        if (leg && legInput?.agent) leg.agent = legInput.agent;
        if (type === 'initiated') call.started_at ??= now;
        if (type === 'answered') {
          call.answered_at ??= now;
          if (leg) leg.answered_at ??= now;
        }
        if (type === 'ended') {
          if (leg) leg.ended_at ??= now;
          else {
            call.ended_at = now;
            for (const l of call.legs) l.ended_at ??= now;
          }
        }
        // A call ends when no leg is left open (or when ended without naming a leg).
        if (type === 'ended' && call.legs.every((l) => l.ended_at)) call.ended_at ??= now;
        call.started_at ??= now;
        const legOut = leg ? { role: leg.role, number: leg.number, agent: leg.agent } : null;
        const events: ConversationChange[] = [{ type: `call.${type}`, data: { leg: legOut } }];
        if (call.ended_at) events.push({ type: 'call.summary', data: callSummary(s.conversation, call) });
        return events;
      });
    },

    /** Sets the call's disposition (not sequenced: it may come long after the call). */
    async disposition(caller: Caller, id: string, tag: string, note?: string): Promise<ConversationT> {
      return conversations.mutate(caller, id, async (s) => {
        if (s.conversation.channel !== 'phone') {
          throw new SwitchboardError('conflict', 'A disposition needs a conversation with channel "phone".');
        }
        return [{ type: 'call.disposition', data: { tag, note: note ?? null } }];
      });
    },
  };
}

export type CallService = ReturnType<typeof createCallService>;
