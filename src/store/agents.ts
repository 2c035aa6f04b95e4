import type { Kysely, Selectable } from 'kysely';
import type { Tables } from './tables.ts';
import type { AgentT, AgentConfigT } from '../domain/agents.ts';
import { fromJson, toJson } from './json.ts';

type Row = Selectable<Tables['agents']>;

function toAgent(row: Row): AgentT {
  const config = fromJson<AgentConfigT>(row.config, { tools: [] });
  return { id: row.id, name: row.name, config: { ...config, tools: config.tools ?? [] }, created_at: row.created_at, updated_at: row.updated_at };
}

export async function getAgent(db: Kysely<Tables>, companyId: string, id: string): Promise<AgentT | undefined> {
  const row = await db.selectFrom('agents').selectAll().where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
  return row && toAgent(row);
}

/** Newest first, ids below `before`. */
export async function listAgents(db: Kysely<Tables>, companyId: string, limit: number, before?: string): Promise<AgentT[]> {
  let q = db.selectFrom('agents').selectAll().where('company_id', '=', companyId);
  if (before) q = q.where('id', '<', before);
  return (await q.orderBy('id', 'desc').limit(limit).execute()).map(toAgent);
}

export async function insertAgent(db: Kysely<Tables>, companyId: string, agent: AgentT): Promise<void> {
  await db
    .insertInto('agents')
    .values({ id: agent.id, company_id: companyId, name: agent.name, config: toJson(agent.config), created_at: agent.created_at, updated_at: agent.updated_at })
    .execute();
}

export async function updateAgent(db: Kysely<Tables>, companyId: string, agent: AgentT): Promise<void> {
  await db
    .updateTable('agents')
    .set({ name: agent.name, config: toJson(agent.config), updated_at: agent.updated_at })
    .where('id', '=', agent.id)
    .where('company_id', '=', companyId)
    .execute();
}

export async function deleteAgent(db: Kysely<Tables>, companyId: string, id: string): Promise<boolean> {
  const res = await db.deleteFrom('agents').where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
