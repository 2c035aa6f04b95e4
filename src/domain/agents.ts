import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Type, type Static } from 'typebox';
import { JsonObject, Timestamp } from './schemas.ts';
import { describeError, pointerOf } from './ajv-errors.ts';
import { pointerEscape } from './json-pointer.ts';
import { jsonTooDeep } from './json-depth.ts';
import { linearRegExp } from './linear-regexp.ts';
import { isSystemVariable, templateOrigin, urlOriginProblem } from './template.ts';
import { redactJson } from './masking.ts';
import type { ParamError } from './event-filter.ts';
import { isClientOwnedHeader } from './http-headers.ts';

/**
 * Agents (assistants) and their tool webhooks: the schemas shared by the API, the OpenAPI
 * document and the tool runner, and the checks JSON Schema alone cannot express (unique tool
 * names, `parameters` that compile, a URL whose origin no variable can change).
 */

/** Largest `parameters` schema of one tool, as JSON text (compiling a schema costs time on the event loop, growing faster than its size). */
export const MAX_PARAMETERS_BYTES = 16 * 1024;
/** Largest sum of the `parameters` schemas of one tool list (an agent, or a setup answer's override_config.tools). */
export const MAX_TOOLS_PARAMETERS_BYTES = 64 * 1024;
/** Deepest nesting of a `parameters` schema (objects and arrays); real argument schemas stay far below it. */
export const MAX_PARAMETERS_DEPTH = 16;
/** What a declared argument may be called: a plain word, so `$name` reads it and it can never look like a system variable. */
export const ARGUMENT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

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
  // code.regExp: `pattern` and `patternProperties` run on RE2 (linear time), never on RegExp.
  return addFormats.default(
    new Ajv({ strict: false, allErrors: false, useDefaults: true, coerceTypes: false, validateSchema: true, code: { regExp: linearRegExp } }),
  );
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

/** The argument names a tool declares: the keys of its `parameters.properties`. */
export function declaredArguments(tool: ResolvedTool): string[] {
  const props = tool.parameters.properties;
  return props !== null && typeof props === 'object' && !Array.isArray(props) ? Object.keys(props) : [];
}

/**
 * Checks tool arguments against the tool's `parameters` (filling defaults in place); a problem under
 * /arguments. Only declared arguments become variables, so an undeclared one is refused by name
 * rather than dropped: the model (or whoever steers it) cannot smuggle in a variable the tool's
 * author never meant it to set.
 */
export function checkArguments(tool: ResolvedTool, args: Record<string, unknown>): ParamError | null {
  const declared = declaredArguments(tool);
  const extra = Object.keys(args).find((k) => !declared.includes(k));
  if (extra !== undefined) {
    const list = declared.length > 0 ? `its parameters declare ${declared.map((d) => `"${d}"`).join(', ')}` : 'it declares no arguments';
    return { param: `/arguments/${pointerEscape(extra)}`, message: `The tool "${tool.name}" has no argument "${extra}" (${list}); remove it or declare it in the tool's parameters.` };
  }
  let validate: ValidateFunction;
  try {
    validate = compileParameters(tool.parameters);
  } catch (err) {
    // Stored before a rule existed (a pattern the linear-time engine refuses): fix the tool.
    return { param: '/tool', message: `The tool "${tool.name}" has parameters that no longer compile (${(err as Error).message}); update the agent's tool.` };
  }
  if (validate(args)) return null;
  const err = validate.errors![0]!;
  const param = pointerOf(err, '/arguments');
  return { param, message: describeError(err, param) };
}

const toolListAjv = addFormats.default(new Ajv({ strict: false, allErrors: false, useDefaults: true, coerceTypes: false }));
const validateToolList = toolListAjv.compile(Type.Array(Tool, { maxItems: 128 }) as object);

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Checks a list of tools (from an agent or from a setup answer's override_config), filling the
 * defaults in place: the Tool schema, names unique within the list, a URL origin without variables,
 * argument names, bounded `parameters` that compile to an object schema. Returns the first problem,
 * with its pointer under `base`. Compiling a schema is the costly step: it waits for the next turn
 * of the event loop before each one, so other requests are answered in between.
 */
export async function checkTools(tools: unknown, base: string): Promise<ParamError | null> {
  if (!validateToolList(tools)) {
    const err = validateToolList.errors![0]!;
    const param = pointerOf(err, base);
    return { param, message: describeError(err, param) };
  }
  const list = tools as ToolT[];
  const seen = new Set<string>();
  let total = 0;
  for (const [i, tool] of list.entries()) {
    const at = `${base}/${i}`;
    if (seen.has(tool.name)) return { param: `${at}/name`, message: `A tool named "${tool.name}" is already in the list.` };
    seen.add(tool.name);
    const origin = urlOriginProblem(tool.webhook.url);
    if (origin) return { param: `${at}/webhook/url`, message: origin };
    const headerProblem = checkToolHeaders(tool.webhook.headers ?? [], `${at}/webhook/headers`);
    if (headerProblem) return headerProblem;
    const parameters = tool.parameters ?? {};
    const text = JSON.stringify(parameters);
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_PARAMETERS_BYTES) {
      return { param: `${at}/parameters`, message: `parameters is ${bytes} bytes of JSON; a tool's parameters may be at most ${MAX_PARAMETERS_BYTES} bytes.` };
    }
    total += bytes;
    if (total > MAX_TOOLS_PARAMETERS_BYTES) {
      return { param: `${at}/parameters`, message: `The tools' parameters add up to more than ${MAX_TOOLS_PARAMETERS_BYTES} bytes of JSON; make them smaller or use fewer tools.` };
    }
    if (jsonTooDeep(text, MAX_PARAMETERS_DEPTH)) {
      return { param: `${at}/parameters`, message: `parameters is nested deeper than ${MAX_PARAMETERS_DEPTH} levels; flatten it.` };
    }
    if (parameters.type !== 'object') {
      return { param: `${at}/parameters/type`, message: 'parameters must be a JSON Schema with "type": "object" (the arguments are an object).' };
    }
    const nameProblem = checkArgumentNames(parameters, `${at}/parameters/properties`);
    if (nameProblem) return nameProblem;
    const unsupported = findUnsupportedPattern(parameters, `${at}/parameters`);
    if (unsupported) return unsupported;
    await nextTurn();
    try {
      compileParameters(parameters);
    } catch (err) {
      return { param: `${at}/parameters`, message: `parameters is not a valid JSON Schema: ${(err as Error).message}` };
    }
  }
  return null;
}

/** Declared argument names: plain words, none named like a system variable (which always wins). */
function checkArgumentNames(parameters: Record<string, unknown>, at: string): ParamError | null {
  const props = parameters.properties;
  if (props === null || typeof props !== 'object' || Array.isArray(props)) return null;
  for (const name of Object.keys(props)) {
    const param = `${at}/${pointerEscape(name)}`;
    if (isSystemVariable(name)) {
      return { param, message: `"${name}" is a system variable ($${name}), which an argument cannot replace; rename the argument.` };
    }
    if (!ARGUMENT_NAME_PATTERN.test(name)) {
      return { param, message: `Argument names are letters, digits and underscores (at most 64, not starting with a digit), so $${name} can be read as a variable; rename "${name}".` };
    }
  }
  return null;
}

/**
 * The first `pattern` (or `patternProperties` key) in a schema that the linear-time engine cannot
 * compile (lookaround, backreferences), named where it stands; the schema compiler would only say
 * that something somewhere failed.
 */
function findUnsupportedPattern(node: unknown, at: string): ParamError | null {
  const problem = (re: string): string | null => {
    try {
      linearRegExp(re);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };
  if (Array.isArray(node)) {
    for (const [k, v] of node.entries()) {
      const found = findUnsupportedPattern(v, `${at}/${k}`);
      if (found) return found;
    }
    return null;
  }
  if (node === null || typeof node !== 'object') return null;
  for (const [k, v] of Object.entries(node)) {
    const here = `${at}/${pointerEscape(k)}`;
    if (k === 'pattern' && typeof v === 'string') {
      const why = problem(v);
      if (why) return { param: here, message: `Unsupported pattern: ${why}.` };
    }
    if (k === 'patternProperties' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const key of Object.keys(v)) {
        const why = problem(key);
        if (why) return { param: `${here}/${pointerEscape(key)}`, message: `Unsupported pattern: ${why}.` };
      }
    }
    const found = findUnsupportedPattern(v, here);
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

/**
 * An agent configuration as a conversation shows it (API answers, event payloads, the setup
 * envelope): tools by name, description and URL origin only, because agent keys and every webhook
 * endpoint see conversations while only owners and admins may read an agent's tools (their
 * headers and bodies hold credentials and `$variables`). Other fields as they are, with
 * credential-like names masked. Built here only; the full configuration stays stored to run tools.
 */
export function publicAgentConfig(config: Record<string, unknown>): Record<string, unknown> {
  const { tools, ...rest } = config ?? {};
  const shown = redactJson(rest, []) as Record<string, unknown>;
  if (tools === undefined) return shown;
  const list = Array.isArray(tools) ? tools : [];
  return {
    ...shown,
    tools: list
      .filter((t): t is Record<string, unknown> => t !== null && typeof t === 'object')
      .map((t) => {
        const url = (t.webhook as { url?: unknown } | undefined)?.url;
        return {
          name: typeof t.name === 'string' ? t.name : '',
          description: typeof t.description === 'string' ? t.description : '',
          origin: typeof url === 'string' ? templateOrigin(url) : null,
        };
      }),
  };
}

/** A conversation as API answers and event payloads show it (see publicAgentConfig). */
export function publicConversation<T extends { agent_config: Record<string, unknown> }>(c: T): T {
  return { ...c, agent_config: publicAgentConfig(c.agent_config) };
}
