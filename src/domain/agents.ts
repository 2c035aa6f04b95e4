import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Type, type Static } from 'typebox';
import safeRegex from 'safe-regex2';
import { JsonObject, Timestamp } from './schemas.ts';
import { describeError, pointerOf } from './ajv-errors.ts';
import { pointerEscape } from './json-pointer.ts';
import type { ParamError } from './event-filter.ts';
import { isClientOwnedHeader } from './http-headers.ts';

/**
 * Agents (assistants) and their tool webhooks: the schemas shared by the API, the OpenAPI
 * document and the tool runner, and the checks JSON Schema alone cannot express (unique tool
 * names, `parameters` that compile).
 */

const strict = { additionalProperties: false } as const;
/** No CR, LF or NUL: a header template must not be able to split the request. */
const NO_CRLF = '^[^\\r\\n\\u0000]*$';
/** An RFC 9110 token: what undici accepts as a header name. */
const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

export const ToolHeader = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 256, pattern: HEADER_NAME }),
    value: Type.String({ maxLength: 8192, pattern: NO_CRLF, description: 'May contain $variables; a rendered value with CR or LF is refused.' }),
  },
  strict,
);

export const HttpMethod = Type.Union([Type.Literal('GET'), Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('DELETE')]);

export const ToolWebhook = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      pattern: '^[hH][tT][tT][pP][sS]?://',
      description: 'https:// URL (http:// only when the server allows insecure targets); may contain $variables.',
    }),
    method: HttpMethod,
    headers: Type.Optional(Type.Array(ToolHeader, { maxItems: 20, default: [] })),
    body: Type.Optional(Type.Unknown({ description: 'Any JSON; strings may contain $variables. Not sent with GET and DELETE when absent.' })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 30_000, default: 10_000 })),
    response_directive: Type.Optional(Type.String({ maxLength: 4000, description: 'Told to the model with the response.' })),
  },
  strict,
);

export const TOOL_NAME_PATTERN = '^[a-zA-Z0-9_-]{1,64}$';

export const Tool = Type.Object(
  {
    name: Type.String({ pattern: TOOL_NAME_PATTERN, description: 'Unique within the agent.' }),
    type: Type.Literal('WEBHOOK'),
    description: Type.Optional(Type.String({ maxLength: 4000, default: '' })),
    parameters: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({
        type: 'object',
        additionalProperties: true,
        description: 'JSON Schema of the arguments (an object schema); checked when saved.',
        default: { type: 'object', properties: {} },
      }),
    ),
    interpret_response: Type.Optional(Type.Boolean({ default: true, description: 'When false the answer carries no directive.' })),
    webhook: ToolWebhook,
  },
  strict,
);

const configFields = {
  voice: Type.Optional(JsonObject),
  runtime: Type.Optional(JsonObject),
  prompt: Type.Optional(Type.String({ maxLength: 100_000 })),
  first_message: Type.Optional(Type.String({ maxLength: 10_000 })),
};

/** An agent's configuration as stored and returned (tools always present). */
export const AgentConfig = Type.Object({ ...configFields, tools: Type.Array(Tool, { maxItems: 128 }) }, strict);

/** The configuration in a create request: tools may be left out (none). */
export const AgentConfigInput = Type.Object({ ...configFields, tools: Type.Optional(Type.Array(Tool, { maxItems: 128 })) }, strict);

const Removable = <T extends Parameters<typeof Type.Optional>[0]>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

/** The configuration in a PATCH: deep-merged over the stored one; null removes a field. */
export const AgentConfigPatch = Type.Object(
  {
    voice: Removable(JsonObject),
    runtime: Removable(JsonObject),
    prompt: Removable(Type.String({ maxLength: 100_000 })),
    first_message: Removable(Type.String({ maxLength: 10_000 })),
    tools: Type.Optional(Type.Array(Tool, { maxItems: 128, description: 'Replaces the whole list.' })),
  },
  strict,
);

export const Agent = Type.Object({
  id: Type.String(),
  name: Type.String(),
  config: AgentConfig,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export type ToolT = Static<typeof Tool>;
export type AgentConfigT = Static<typeof AgentConfig>;
export type AgentT = Static<typeof Agent>;

/** A tool with every default filled in: what the runner works with. */
export interface ResolvedTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  interpret_response: boolean;
  webhook: {
    url: string;
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    headers: { key: string; value: string }[];
    body?: unknown;
    timeout_ms: number;
    response_directive?: string;
  };
}

// Tool `parameters` are customer-written schemas, compiled once per distinct text. Ajv keeps every
// schema it compiled, so the cache is bounded by starting a fresh Ajv when it fills up.
const PARAMETER_CACHE_SIZE = 500;
let parameterAjv = newParameterAjv();
const parameterCache = new Map<string, ValidateFunction>();

function newParameterAjv(): Ajv {
  // useDefaults: a default in the schema fills a missing argument, as the model's runtime would.
  return addFormats.default(new Ajv({ strict: false, allErrors: false, useDefaults: true, coerceTypes: false, validateSchema: true }));
}

/** Compiles a tool's `parameters` schema (cached by its text); throws when it is not a valid schema. */
export function compileParameters(schema: Record<string, unknown>): ValidateFunction {
  const text = JSON.stringify(schema);
  const hit = parameterCache.get(text);
  if (hit) return hit;
  if (parameterCache.size >= PARAMETER_CACHE_SIZE) {
    parameterCache.clear();
    parameterAjv = newParameterAjv();
  }
  const fn = parameterAjv.compile(JSON.parse(text) as Record<string, unknown>);
  // An async schema's validator returns a promise, which is truthy: it would accept anything.
  if ((fn as { $async?: boolean }).$async) throw new Error('"$async" schemas are not supported');
  parameterCache.set(text, fn);
  return fn;
}

/** Checks tool arguments against the tool's `parameters` (filling defaults in place); a problem under /arguments. */
export function checkArguments(tool: ResolvedTool, args: Record<string, unknown>): ParamError | null {
  const validate = compileParameters(tool.parameters);
  if (validate(args)) return null;
  const err = validate.errors![0]!;
  const param = pointerOf(err, '/arguments');
  return { param, message: describeError(err, param) };
}

const toolListAjv = addFormats.default(new Ajv({ strict: false, allErrors: false, useDefaults: true, coerceTypes: false }));
const validateToolList = toolListAjv.compile(Type.Array(Tool, { maxItems: 128 }) as object);

/**
 * Checks a list of tools (from an agent or from a setup answer's override_config), filling the
 * defaults in place: the Tool schema, names unique within the list, and `parameters` that compile
 * to an object schema. Returns the first problem, with its pointer under `base`.
 */
export function checkTools(tools: unknown, base: string): ParamError | null {
  if (!validateToolList(tools)) {
    const err = validateToolList.errors![0]!;
    const param = pointerOf(err, base);
    return { param, message: describeError(err, param) };
  }
  const list = tools as ToolT[];
  const seen = new Set<string>();
  for (const [i, tool] of list.entries()) {
    if (seen.has(tool.name)) return { param: `${base}/${i}/name`, message: `A tool named "${tool.name}" is already in the list.` };
    seen.add(tool.name);
    const headerProblem = checkToolHeaders(tool.webhook.headers ?? [], `${base}/${i}/webhook/headers`);
    if (headerProblem) return headerProblem;
    const parameters = tool.parameters ?? {};
    if (parameters.type !== 'object') {
      return { param: `${base}/${i}/parameters/type`, message: 'parameters must be a JSON Schema with "type": "object" (the arguments are an object).' };
    }
    const unsafe = findUnsafePattern(parameters, `${base}/${i}/parameters`);
    if (unsafe) return { param: unsafe, message: 'This regular expression can take exponential time (nested or overlapping repetition); simplify it.' };
    try {
      compileParameters(parameters);
    } catch (err) {
      return { param: `${base}/${i}/parameters`, message: `parameters is not a valid JSON Schema: ${(err as Error).message}` };
    }
  }
  return null;
}

/**
 * The pointer of the first `pattern` (or `patternProperties` key) in a schema that could backtrack
 * exponentially. Tool arguments come from a language model, possibly steered by whoever talks to it,
 * and a regular expression runs to completion on the event loop: one catastrophic pattern would
 * stall every request of the process.
 */
function findUnsafePattern(node: unknown, at: string): string | null {
  // A pattern that does not even compile is left to the schema compiler, which says so.
  const unsafe = (re: string) => {
    try {
      new RegExp(re, 'u');
    } catch {
      return false;
    }
    return !safeRegex(re);
  };
  if (Array.isArray(node)) {
    for (const [k, v] of node.entries()) {
      const found = findUnsafePattern(v, `${at}/${k}`);
      if (found) return found;
    }
    return null;
  }
  if (node === null || typeof node !== 'object') return null;
  for (const [k, v] of Object.entries(node)) {
    const here = `${at}/${pointerEscape(k)}`;
    if (k === 'pattern' && typeof v === 'string' && unsafe(v)) return here;
    if (k === 'patternProperties' && v && typeof v === 'object' && !Array.isArray(v)) {
      const bad = Object.keys(v).find(unsafe);
      if (bad !== undefined) return `${here}/${pointerEscape(bad)}`;
    }
    const found = findUnsafePattern(v, here);
    if (found) return found;
  }
  return null;
}


function checkToolHeaders(headers: { key: string }[], base: string): ParamError | null {
  const seen = new Set<string>();
  for (const [j, h] of headers.entries()) {
    const key = h.key.toLowerCase();
    if (isClientOwnedHeader(key)) return { param: `${base}/${j}/key`, message: `The ${h.key} header is set by Switchboard and cannot be configured.` };
    if (seen.has(key)) return { param: `${base}/${j}/key`, message: `The ${h.key} header is listed twice.` };
    seen.add(key);
  }
  return null;
}

/** A tool with the schema defaults applied (for tools that were stored before a default existed). */
export function resolveTool(tool: ToolT): ResolvedTool {
  return {
    name: tool.name,
    description: tool.description ?? '',
    parameters: tool.parameters ?? { type: 'object', properties: {} },
    interpret_response: tool.interpret_response ?? true,
    webhook: {
      url: tool.webhook.url,
      method: tool.webhook.method,
      headers: tool.webhook.headers ?? [],
      ...(tool.webhook.body === undefined ? {} : { body: tool.webhook.body }),
      timeout_ms: tool.webhook.timeout_ms ?? 10_000,
      ...(tool.webhook.response_directive === undefined ? {} : { response_directive: tool.webhook.response_directive }),
    },
  };
}
