import type { Kysely, Selectable } from 'kysely';
import type { Tables } from './tables.ts';
import { fromJson, toJson } from './json.ts';

type Row = Selectable<Tables['conversation_logs']>;

/** The request as it was sent (or would have been), with secrets masked; the body as its JSON value. */
export interface LoggedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** One synchronous webhook call on a conversation: a conversation.setup or a tool call. */
export interface ConversationLog {
  id: string;
  conversation_id: string;
  kind: 'setup' | 'tool_call';
  name: string | null;
  request: LoggedRequest;
  status_code: number | null;
  response_body: string | null;
  /** Variables substituted, with their values (secrets masked). */
  variables: Record<string, unknown>;
  /** `$names` that matched no variable and were left as written. */
  unknown_variables: string[];
  duration_ms: number;
  error: string | null;
  created_at: string;
}

// The `variables` column holds both lists: {"used": {name: value}, "unknown": [name]}.
interface StoredVariables {
  used: Record<string, unknown>;
  unknown: string[];
}

function toLog(row: Row): ConversationLog {
  const variables = fromJson<StoredVariables>(row.variables, { used: {}, unknown: [] });
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    kind: row.kind as ConversationLog['kind'],
    name: row.name,
    request: fromJson(row.request, { method: '', url: '', headers: {}, body: null }),
    status_code: row.status_code,
    response_body: row.response_body,
    variables: variables.used ?? {},
    unknown_variables: variables.unknown ?? [],
    duration_ms: row.duration_ms,
    error: row.error,
    created_at: row.created_at,
  };
}

// PostgreSQL text cannot hold NUL; an answer may contain any bytes.
const clean = (s: string | null) => (s === null ? null : s.replace(/\u0000/g, '\uFFFD'));

export async function insertLog(db: Kysely<Tables>, companyId: string, log: ConversationLog): Promise<void> {
  await db
    .insertInto('conversation_logs')
    .values({
      id: log.id,
      company_id: companyId,
      conversation_id: log.conversation_id,
      kind: log.kind,
      name: log.name,
      request: toJson(log.request),
      status_code: log.status_code,
      response_body: clean(log.response_body),
      variables: toJson({ used: log.variables, unknown: log.unknown_variables } satisfies StoredVariables),
      duration_ms: log.duration_ms,
      error: clean(log.error),
      created_at: log.created_at,
    })
    .execute();
}

/** Oldest first, ids above `after`. */
export async function listLogs(db: Kysely<Tables>, companyId: string, conversationId: string, limit: number, after?: string): Promise<ConversationLog[]> {
  let q = db.selectFrom('conversation_logs').selectAll().where('company_id', '=', companyId).where('conversation_id', '=', conversationId);
  if (after) q = q.where('id', '>', after);
  return (await q.orderBy('id', 'asc').limit(limit).execute()).map(toLog);
}
