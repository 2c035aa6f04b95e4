import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Ajv } from 'ajv';
import type { Platform } from '../../platform.ts';
import type { Caller } from '../../services/context.ts';
import { AgentConfigInput, type AgentT, type ToolT } from '../../domain/agents.ts';
import { describeError, pointerOf } from '../../domain/ajv-errors.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { html, attr, bodyView, escapeHtml, highlightJson, highlightMasked, raw, type Html } from '../html.ts';
import { ago, page } from '../layout.ts';
import { WEBHOOK_ROLES, isHtmx, redirect, sendPage, sessionOf, toast } from '../index.ts';

type Errors = Record<string, string>;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const TOOL_FIELDS = ['name', 'description', 'parameters', 'interpret_response', 'webhook_method', 'webhook_url', 'webhook_headers', 'webhook_body', 'webhook_timeout_ms', 'webhook_response_directive'];

// The API's own schema of a configuration (voice, runtime, prompt, first message, tools); the
// service then applies the rules a schema cannot express. Compiled once.
const validateConfig = new Ajv({ strict: false, allErrors: false, useDefaults: false }).compile(AgentConfigInput as object);

interface ToolValues {
  name: string;
  description: string;
  parameters: string;
  interpret_response: boolean;
  method: string;
  url: string;
  headers: string;
  body: string;
  timeout_ms: string;
  response_directive: string;
}

interface AgentValues {
  name: string;
  voice: string;
  runtime: string;
  prompt: string;
  first_message: string;
  tools: ToolValues[];
}

const blankTool = (): ToolValues => ({
  name: '',
  description: '',
  parameters: '{\n  "type": "object",\n  "properties": {}\n}',
  interpret_response: true,
  method: 'POST',
  url: 'https://',
  headers: '',
  body: '',
  timeout_ms: '10000',
  response_directive: '',
});

const pretty = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));

function valuesOf(agent: AgentT | null): AgentValues {
  if (!agent) return { name: '', voice: '', runtime: '', prompt: '', first_message: '', tools: [] };
  const c = agent.config;
  return {
    name: agent.name,
    voice: pretty(c.voice),
    runtime: pretty(c.runtime),
    prompt: c.prompt ?? '',
    first_message: c.first_message ?? '',
    tools: c.tools.map((t) => ({
      name: t.name,
      description: t.description ?? '',
      parameters: pretty(t.parameters ?? { type: 'object', properties: {} }),
      interpret_response: t.interpret_response ?? true,
      method: t.webhook.method,
      url: t.webhook.url,
      headers: (t.webhook.headers ?? []).map((h) => `${h.key}: ${h.value}`).join('\n'),
      body: pretty(t.webhook.body),
      timeout_ms: String(t.webhook.timeout_ms ?? 10000),
      response_directive: t.webhook.response_directive ?? '',
    })),
  };
}

function valuesFromBody(body: Record<string, string | string[] | undefined>): AgentValues {
  const one = (k: string) => {
    const v = body[k];
    return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  };
  const count = Math.min(128, Math.max(0, Number(one('tool_count')) || 0));
  const tools: ToolValues[] = [];
  for (let i = 0; i < count; i++) {
    const f = (k: string) => one(`t${i}_${k}`);
    tools.push({
      name: f('name'),
      description: f('description'),
      parameters: f('parameters'),
      interpret_response: f('interpret_response') === 'on',
      method: f('method'),
      url: f('url'),
      headers: f('headers'),
      body: f('body'),
      timeout_ms: f('timeout_ms'),
      response_directive: f('response_directive'),
    });
  }
  return { name: one('name'), voice: one('voice'), runtime: one('runtime'), prompt: one('prompt'), first_message: one('first_message'), tools };
}

/** Form text to the API's input; a text that is not JSON (or a header line without ":") is an error at its field. */
function inputOf(v: AgentValues): { name: string; config: Record<string, unknown> } | { errors: Errors } {
  const errors: Errors = {};
  const json = (text: string, field: string, what: string): unknown => {
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (e) {
      errors[field] = `${what} is not valid JSON (${(e as Error).message}).`;
      return undefined;
    }
  };
  const config: Record<string, unknown> = {};
  const voice = json(v.voice, 'voice', 'Voice');
  if (voice !== undefined) config.voice = voice;
  const runtime = json(v.runtime, 'runtime', 'Runtime');
  if (runtime !== undefined) config.runtime = runtime;
  if (v.prompt !== '') config.prompt = v.prompt;
  if (v.first_message !== '') config.first_message = v.first_message;
  config.tools = v.tools.map((t, i) => {
    const headers = t.headers
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l.trim() !== '')
      .map((line) => {
        const at = line.indexOf(':');
        if (at < 1) errors[`tools_${i}_webhook_headers`] = `Write each header as "Key: Value" on its own line ("${line.slice(0, 40)}" has no colon).`;
        return { key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
      });
    const webhook: Record<string, unknown> = { url: t.url, method: t.method };
    if (headers.length) webhook.headers = headers;
    const body = json(t.body, `tools_${i}_webhook_body`, 'The body');
    if (body !== undefined) webhook.body = body;
    if (t.timeout_ms.trim() !== '') webhook.timeout_ms = /^\d+$/.test(t.timeout_ms.trim()) ? Number(t.timeout_ms) : t.timeout_ms;
    if (t.response_directive !== '') webhook.response_directive = t.response_directive;
    const tool: Record<string, unknown> = { name: t.name, type: 'WEBHOOK', interpret_response: t.interpret_response, webhook };
    if (t.description !== '') tool.description = t.description;
    const parameters = json(t.parameters, `tools_${i}_parameters`, 'The parameters schema');
    if (parameters !== undefined) tool.parameters = parameters;
    return tool;
  });
  return Object.keys(errors).length ? { errors } : { name: v.name, config };
}

/** The form field an API pointer names (`/config/tools/0/webhook/headers/1/key` → `tools_0_webhook_headers`). */
export function fieldOfPointer(param: string | undefined): string {
  if (!param) return 'form';
  const parts = param.replace(/^\//, '').split('/');
  if (parts[0] === 'name') return 'name';
  if (parts[0] !== 'config') return 'form';
  if (parts[1] !== 'tools') return parts[1] ?? 'form';
  if (parts[2] === undefined) return 'form';
  const i = parts[2];
  const rest = parts.slice(3);
  const candidate = rest[0] === 'webhook' ? `webhook_${rest[1] ?? 'url'}` : (rest[0] ?? 'name');
  return TOOL_FIELDS.includes(candidate) ? `tools_${i}_${candidate}` : `tools_${i}_name`;
}

function err(errors: Errors, field: string): Html {
  const m = errors[field];
  return html`<p class="field-error" id="err-${field}"${m ? '' : html` hidden`}>${m ?? ''}</p>`;
}
function inv(errors: Errors, field: string): Html {
  return errors[field] ? html` aria-invalid="true" aria-describedby="err-${field}"` : html``;
}

function toolForm(t: ToolValues, i: number, errors: Errors): Html {
  const id = (k: string) => `t${i}_${k}`;
  const f = (k: string) => `tools_${i}_${k}`;
  return html`<fieldset class="card tool-form" data-tool="${i}">
  <legend>Tool ${i + 1}${t.name ? html`: <code>${t.name}</code>` : ''}</legend>
  <div class="grid2">
    <div class="field"><label for="${id('name')}">Name <span class="req" aria-hidden="true">*</span></label><input id="${id('name')}" name="${id('name')}" value="${t.name}" autocomplete="off"${inv(errors, f('name'))}>${err(errors, f('name'))}</div>
    <div class="field"><label for="${id('description')}">Description</label><input id="${id('description')}" name="${id('description')}" value="${t.description}"${inv(errors, f('description'))}>${err(errors, f('description'))}</div>
  </div>
  <div class="field"><label for="${id('parameters')}">Parameters (JSON Schema of the arguments)</label><textarea id="${id('parameters')}" name="${id('parameters')}" rows="5" spellcheck="false"${inv(errors, f('parameters'))}>${t.parameters}</textarea>${err(errors, f('parameters'))}</div>
  <div class="field"><label class="check-inline"><input type="checkbox" name="${id('interpret_response')}"${attr('checked', t.interpret_response)}> Interpret the response (send the directive to the model)</label>${err(errors, f('interpret_response'))}</div>
  <h4>Webhook</h4>
  <div class="grid-tool">
    <div class="field"><label for="${id('method')}">Method</label><select id="${id('method')}" name="${id('method')}"${inv(errors, f('webhook_method'))}>${METHODS.map((m) => html`<option${attr('selected', m === t.method)}>${m}</option>`)}</select>${err(errors, f('webhook_method'))}</div>
    <div class="field"><label for="${id('url')}">URL <span class="req" aria-hidden="true">*</span></label><input id="${id('url')}" name="${id('url')}" value="${t.url}" autocomplete="off" spellcheck="false"${inv(errors, f('webhook_url'))}>${err(errors, f('webhook_url'))}</div>
    <div class="field"><label for="${id('timeout_ms')}">Timeout (ms)</label><input id="${id('timeout_ms')}" name="${id('timeout_ms')}" value="${t.timeout_ms}" inputmode="numeric"${inv(errors, f('webhook_timeout_ms'))}>${err(errors, f('webhook_timeout_ms'))}</div>
  </div>
  <div class="grid2">
    <div class="field"><label for="${id('headers')}">Headers (one "Key: Value" a line)</label><textarea id="${id('headers')}" name="${id('headers')}" rows="3" spellcheck="false"${inv(errors, f('webhook_headers'))}>${t.headers}</textarea>${err(errors, f('webhook_headers'))}</div>
    <div class="field"><label for="${id('body')}">Body (JSON; empty for none)</label><textarea id="${id('body')}" name="${id('body')}" rows="3" spellcheck="false"${inv(errors, f('webhook_body'))}>${t.body}</textarea>${err(errors, f('webhook_body'))}</div>
  </div>
  <div class="field"><label for="${id('response_directive')}">Response directive</label><input id="${id('response_directive')}" name="${id('response_directive')}" value="${t.response_directive}"${inv(errors, f('webhook_response_directive'))}>${err(errors, f('webhook_response_directive'))}</div>
  <div class="tool-actions"><button type="submit" class="ghost danger" name="action" value="remove_${i}">Remove tool</button></div>
</fieldset>`;
}

function agentForm(agent: AgentT | null, v: AgentValues, errors: Errors): Html {
  const action = agent ? `/console/agents/${agent.id}` : '/console/agents';
  return html`<form id="agent-form" class="stack" method="post" action="${action}" hx-post="${action}" hx-target="#agent-form" hx-swap="outerHTML" novalidate>
  ${errors.form ? html`<p class="form-error" role="alert">${errors.form}</p>` : ''}
  <section class="card">
    <div class="field"><label for="name">Name <span class="req" aria-hidden="true">*</span></label><input id="name" name="name" value="${v.name}"${inv(errors, 'name')}>${err(errors, 'name')}</div>
    <div class="field"><label for="prompt">Prompt</label><textarea id="prompt" name="prompt" rows="5"${inv(errors, 'prompt')}>${v.prompt}</textarea>${err(errors, 'prompt')}</div>
    <div class="field"><label for="first_message">First message</label><input id="first_message" name="first_message" value="${v.first_message}"${inv(errors, 'first_message')}>${err(errors, 'first_message')}</div>
    <div class="grid2">
      <div class="field"><label for="voice">Voice (JSON object)</label><textarea id="voice" name="voice" rows="3" spellcheck="false"${inv(errors, 'voice')}>${v.voice}</textarea>${err(errors, 'voice')}</div>
      <div class="field"><label for="runtime">Runtime (JSON object)</label><textarea id="runtime" name="runtime" rows="3" spellcheck="false"${inv(errors, 'runtime')}>${v.runtime}</textarea>${err(errors, 'runtime')}</div>
    </div>
  </section>
  <h2>Tools <span class="count-badge">${v.tools.length}</span></h2>
  <input type="hidden" name="tool_count" value="${v.tools.length}">
  ${v.tools.map((t, i) => toolForm(t, i, errors))}
  <div class="form-actions">
    <button type="submit" class="ghost" name="action" value="add_tool">+ Add tool</button>
    <button type="submit" class="primary" name="action" value="save">Save assistant</button>
  </div>
</form>`;
}

function markUnknown(view: Html, unknown: string[]): Html {
  // The escaped JSON text holds "$name" as written; wrap each unknown one (names are plain words).
  let out = view.value;
  for (const name of [...unknown].sort((a, b) => b.length - a.length)) {
    const safe = escapeHtml(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`\\$${safe}(?![A-Za-z0-9_.])`, 'g'), `<mark class="unknown-var">$${escapeHtml(name)}</mark>`);
  }
  return raw(out);
}

function argumentValue(text: string, schema: unknown): unknown {
  const type = (schema as { type?: unknown } | undefined)?.type;
  if (type === 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Assistants (agents): list, create, edit through services.agents (the API's schema first, then
 * the service's rules), errors at their field; each saved tool has a "Try it" panel over
 * services.toolCalls (preview, then an optional real call).
 */
export function agentPages(c: FastifyInstance, platform: Platform) {
  const { services } = platform;
  const roles = { consoleRoles: WEBHOOK_ROLES };
  const caller = (request: FastifyRequest) => services.members.callerOf(sessionOf(request).member);

  async function tryPanels(cl: Caller, agent: AgentT): Promise<Html> {
    if (agent.config.tools.length === 0) return html``;
    const convs = (await services.conversations.list(cl, { agent_id: agent.id }, 20)).data;
    return html`<section aria-labelledby="try-title" class="try-section"><h2 id="try-title">Try a tool</h2>
    ${convs.length === 0 ? html`<p class="muted">Try it needs a conversation with this assistant: create one (POST /v1/conversations with agent_id ${agent.id}).</p>` : ''}
    ${agent.config.tools.map((t: ToolT, i: number) => {
      const props = ((t.parameters as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}) as Record<string, unknown>;
      return html`<form class="card try" id="try-${i}" hx-post="/console/agents/${agent.id}/try" hx-target="#try-result-${i}" data-try-tool="${t.name}">
      <h3>Try it: <code>${t.name}</code></h3>
      <input type="hidden" name="tool" value="${t.name}">
      <input type="hidden" name="index" value="${i}">
      <div class="grid-form">
        ${Object.keys(props).map((p) => html`<div class="field"><label for="try-${i}-${p}">${p}</label><input id="try-${i}-${p}" name="arg_${p}" autocomplete="off"></div>`)}
        <div class="field"><label for="try-${i}-conv">Conversation</label><select id="try-${i}-conv" name="conversation_id">${convs.map((cv) => html`<option value="${cv.id}">${cv.id} (${cv.channel}, ${cv.status})</option>`)}</select></div>
      </div>
      <div class="head-actions"><button type="submit" class="ghost" name="mode" value="preview"${attr('disabled', convs.length === 0)}>Preview request</button>
      <button type="submit" class="primary" name="mode" value="send"${attr('disabled', convs.length === 0)}>Send</button></div>
      <div id="try-result-${i}" class="try-result" aria-live="polite"></div>
    </form>`;
    })}</section>`;
  }

  async function save(request: FastifyRequest, reply: FastifyReply, agent: AgentT | null) {
    const body = (request.body ?? {}) as Record<string, string | string[] | undefined>;
    const v = valuesFromBody(body);
    const action = String(body.action ?? 'save');
    const show = (errors: Errors, status = 200) => {
      // htmx answers 200 with the form re-rendered (as the webhook form does): the browser logs no error.
      if (isHtmx(request)) return sendPage(reply, agentForm(agent, v, errors));
      return sendPage(reply, page({ title: agent ? agent.name : 'New assistant', session: sessionOf(request), nav: 'agents', wide: true }, agentForm(agent, v, errors)), status);
    };
    if (action === 'add_tool') {
      v.tools.push(blankTool());
      return show({});
    }
    if (action.startsWith('remove_')) {
      v.tools.splice(Number(action.slice(7)), 1);
      return show({});
    }
    const input = inputOf(v);
    if ('errors' in input) {
      toast(reply, 'Fix the highlighted fields', 'error');
      return show(input.errors, 422);
    }
    const fail = (param: string | undefined, message: string) => {
      toast(reply, message, 'error');
      return show({ [fieldOfPointer(param)]: message }, 422);
    };
    if (!input.name.trim()) return fail('/name', 'Give the assistant a name.');
    if (input.name.length > 255) return fail('/name', 'The name is too long: use at most 255 characters.');
    if (!validateConfig(input.config)) {
      const e = validateConfig.errors![0]!;
      const param = pointerOf(e, '/config');
      return fail(param, describeError(e, param));
    }
    try {
      const cl = caller(request);
      const saved = agent
        ? await services.agents.patch(cl, agent.id, { name: input.name, config: { ...input.config, voice: input.config.voice ?? null, runtime: input.config.runtime ?? null, prompt: input.config.prompt ?? null, first_message: input.config.first_message ?? null } })
        : await services.agents.create(cl, { name: input.name, config: input.config });
      return redirect(request, reply, `/console/agents/${saved.id}?toast=${agent ? 'updated' : 'created'}`);
    } catch (e) {
      if (!(e instanceof SwitchboardError) || e.status >= 500 || e.code === 'resource_not_found') throw e;
      return fail(e.param, e.message);
    }
  }

  c.get('/agents', { config: roles }, async (request, reply) => {
    const { data } = await services.agents.list(caller(request), 100);
    return sendPage(
      reply,
      page(
        { title: 'Assistants', session: sessionOf(request), nav: 'agents' },
        html`<div class="page-head"><div><h1>Assistants</h1><p class="muted">Each assistant's configuration is copied into a conversation when it opens; edits apply to conversations opened afterwards.</p></div>
<div class="head-actions"><a class="button primary" href="/console/agents/new">+ New assistant</a></div></div>
${data.length === 0
  ? html`<p class="card empty-small muted">No assistants yet.</p>`
  : html`<div class="table-wrap"><table class="list agents"><thead><tr><th scope="col">Name</th><th scope="col">Tools</th><th scope="col">Id</th><th scope="col">Updated</th></tr></thead>
<tbody>${data.map((a) => html`<tr id="agent-${a.id}"><td><a href="/console/agents/${a.id}">${a.name}</a></td><td>${a.config.tools.map((t) => html`<code class="small">${t.name}</code> `)}</td><td><code class="small">${a.id}</code></td><td>${ago(a.updated_at)}</td></tr>`)}</tbody></table></div>`}`,
      ),
    );
  });

  c.get('/agents/new', { config: roles }, async (request, reply) => {
    return sendPage(reply, page({ title: 'New assistant', session: sessionOf(request), nav: 'agents', wide: true }, html`<nav class="crumbs"><a href="/console/agents">Assistants</a> / <span>New</span></nav><h1>New assistant</h1>${agentForm(null, valuesOf(null), {})}`));
  });

  c.post('/agents', { config: roles }, (request, reply) => save(request, reply, null));

  c.get('/agents/:id', { config: roles }, async (request, reply) => {
    const cl = caller(request);
    const agent = await services.agents.get(cl, (request.params as { id: string }).id);
    const t = (request.query as Record<string, string>).toast;
    return sendPage(
      reply,
      page(
        { title: agent.name, session: sessionOf(request), nav: 'agents', wide: true, toast: t === 'created' ? 'Assistant created' : t === 'updated' ? 'Assistant saved' : null },
        html`<nav class="crumbs"><a href="/console/agents">Assistants</a> / <span>${agent.name}</span></nav><div class="page-head"><div><h1>${agent.name}</h1><p class="muted"><code>${agent.id}</code> · updated ${ago(agent.updated_at)}</p></div></div>
<div class="agent-layout"><div>${agentForm(agent, valuesOf(agent), {})}</div><div>${await tryPanels(cl, agent)}</div></div>`,
      ),
    );
  });

  c.post('/agents/:id', { config: roles }, async (request, reply) => save(request, reply, await services.agents.get(caller(request), (request.params as { id: string }).id)));

  c.post('/agents/:id/try', { config: roles }, async (request, reply) => {
    const cl = caller(request);
    const agent = await services.agents.get(cl, (request.params as { id: string }).id);
    const body = (request.body ?? {}) as Record<string, string>;
    const tool = agent.config.tools.find((t) => t.name === body.tool);
    if (!tool) throw new SwitchboardError('validation_failed', `The assistant has no tool "${body.tool}"; save it first.`, '/tool');
    const props = ((tool.parameters as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}) as Record<string, unknown>;
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) if (k.startsWith('arg_') && v !== '') args[k.slice(4)] = argumentValue(v, props[k.slice(4)]);
    const input = { tool: tool.name, arguments: args };
    const conversationId = String(body.conversation_id ?? '');
    try {
      if (body.mode === 'send') {
        const a = await services.toolCalls.run(cl, conversationId, input);
        toast(reply, a.error ? `Sent: ${a.error}` : `Sent: HTTP ${a.status_code}`, a.error ? 'error' : 'success');
        return sendPage(
          reply,
          html`<div class="try-answer"><h4>Answer</h4><p>HTTP ${a.status_code === null ? html`<span class="bad">—</span>` : html`<span class="${a.status_code < 300 ? 'ok' : 'bad'}">${a.status_code}</span>`} in ${a.duration_ms} ms${a.error ? html` · <span class="bad">${a.error}</span>` : ''}</p>
<pre class="json">${typeof a.response === 'string' ? bodyView(a.response) : highlightJson(a.response)}</pre>
<h4>Directive</h4>${a.directive !== undefined ? html`<p class="directive">${a.directive}</p>` : html`<p class="muted small">None (no directive, or interpret_response is off).</p>`}
<h4>client_data after the merge</h4><pre class="json try-client-data">${highlightMasked(a.client_data)}</pre>
<p class="small"><a href="/console/conversations/${conversationId}">Open the conversation's session logs</a></p></div>`,
        );
      }
      const p = await services.toolCalls.preview(cl, conversationId, input);
      return sendPage(
        reply,
        html`<div class="try-preview"><h4>Request (secrets masked)</h4><p><code class="try-line">${p.method} ${markUnknown(html`${p.url}`, p.unknown_variables)}</code></p>
<pre class="json">${markUnknown(highlightJson({ headers: p.headers, body: p.body }), p.unknown_variables)}</pre>
<div class="grid2"><div><h4>Variables used</h4><pre class="json">${highlightJson(p.variables_used)}</pre></div>
<div><h4>Unknown variables</h4>${p.unknown_variables.length ? html`<p>${p.unknown_variables.map((u) => html`<mark class="unknown-var">$${u}</mark> `)}</p><p class="muted small">Left as written: no argument, client_data or system variable has this name.</p>` : html`<p class="muted small">None</p>`}</div></div></div>`,
      );
    } catch (e) {
      if (!(e instanceof SwitchboardError) || e.status >= 500) throw e;
      toast(reply, e.message, 'error');
      return sendPage(reply, html`<p class="form-error">${e.message}${e.param ? html` <span class="muted small">(${e.param})</span>` : ''}</p>`);
    }
  });
}
