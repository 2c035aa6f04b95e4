import type { RoleT } from './schemas.ts';

/**
 * Who may do what to API keys (and, later, console members): the one home of the role ranking,
 * so the API and the console refuse the same things with the same words.
 */

/** Roles that manage the company's setup: webhooks, agents, keys, events. */
export const MANAGERS = ['owner', 'admin'] as const satisfies readonly RoleT[];

const RANK: Record<RoleT, number> = { agent: 0, admin: 1, owner: 2 };

/**
 * What one key can do to another key (or to a new one). Reading is not among them: lists show a
 * key's id, name, role and prefix, never its secret, which exists only in the answer that made it.
 */
export type KeyAction = 'create' | 'revoke';

/**
 * Why a key of role `actor` may not `action` a key of role `target`, or null when it may. A key
 * never acts on one that outranks it: an admin that could mint or revoke an owner key could
 * lock the owners out or make itself one. (Every role name starts with a vowel, hence "an".)
 */
export function keyActionRefusal(actor: RoleT, action: KeyAction, target: RoleT): string | null {
  if (RANK[target] <= RANK[actor]) return null;
  return `An ${actor} key cannot ${action} an ${target} key; use an ${target} key for that.`;
}
