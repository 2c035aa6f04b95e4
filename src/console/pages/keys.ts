import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import type { ApiKeyT, RoleT } from '../../domain/schemas.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { keyActionRefusal } from '../../domain/roles.ts';
import { html, attr, type Html } from '../html.ts';
import { ago, page } from '../layout.ts';
import { WEBHOOK_ROLES, isHtmx, sendPage, sessionOf, toast } from '../index.ts';

const ROLES: RoleT[] = ['agent', 'admin', 'owner'];

/**
 * API keys: the list, a form that creates one (its secret shown once), and revocation with a
 * confirmation. Every rule (who may create or revoke which role, the last owner key) is the
 * key service's; the page only hides the buttons the service would refuse anyway.
 */
export function keyPages(c: FastifyInstance, platform: Platform) {
  const { services } = platform;
  const roles = { consoleRoles: WEBHOOK_ROLES };
  const caller = (request: FastifyRequest) => services.members.callerOf(sessionOf(request).member);

  async function listSection(request: FastifyRequest, created: (ApiKeyT & { key: string }) | null = null, error: string | null = null): Promise<Html> {
    const cl = caller(request);
    const { data } = await services.keys.list(cl, 100);
    const owners = data.filter((k) => k.role === 'owner').length;
    const revocable = (k: ApiKeyT) => !keyActionRefusal(cl.role, 'revoke', k.role) && !(k.role === 'owner' && owners === 1);
    return html`<section id="keys">
  <div class="page-head">
    <div>
      <h1>API keys</h1>
      <p class="muted">Keys authenticate calls to the <code>/v1</code> API as your company. A key's secret is shown once, when it is created.</p>
    </div>
  </div>
  ${created
    ? html`<div class="card notice-card" id="new-key">
    <p><strong>Key “${created.name || created.prefix}” created.</strong> Copy it now: it is not shown again.</p>
    <div class="secret"><code class="secret-value" id="new-key-value">${created.key}</code>
    <button type="button" class="ghost" data-copy-target="#new-key-value">Copy</button></div>
  </div>`
    : ''}
  <div class="table-wrap"><table class="list keys">
    <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
    <tbody>${data.map(
      (k) => html`<tr id="key-${k.id}">
      <td>${k.name || html`<span class="muted">(no name)</span>`}</td>
      <td><span class="pill pill-inactive">${k.role}</span></td>
      <td><code>${k.prefix}…</code></td>
      <td>${ago(k.created_at)}</td>
      <td>${ago(k.last_used_at)}</td>
      <td class="actions">${revocable(k)
        ? html`<button type="button" class="ghost danger" hx-post="/console/keys/${k.id}/revoke" hx-target="#keys" hx-swap="outerHTML"
          hx-confirm="Revoke the key “${k.name || k.prefix}”? Requests made with it fail from now on." aria-label="Revoke ${k.name || k.prefix}">Revoke</button>`
        : html`<span class="muted small" title="${k.role === 'owner' && owners === 1 ? 'The last owner key cannot be revoked.' : keyActionRefusal(cl.role, 'revoke', k.role) ?? ''}">—</span>`}</td>
    </tr>`,
    )}</tbody>
  </table></div>
  <form class="card add-member grid-form" hx-post="/console/keys" hx-target="#keys" hx-swap="outerHTML" id="create-key">
    <h2>Create a key</h2>
    <div class="field"><label for="key-name">Name</label><input id="key-name" name="name" maxlength="200" placeholder="e.g. CRM sync"></div>
    <div class="field"><label for="key-role">Role</label><select id="key-role" name="role">
      ${ROLES.map((r) => html`<option value="${r}"${attr('disabled', keyActionRefusal(cl.role, 'create', r) !== null)}>${r}</option>`)}
    </select></div>
    <div class="field end"><button type="submit" class="primary">Create key</button></div>
    ${error ? html`<p class="form-error" id="key-error">${error}</p>` : ''}
  </form>
</section>`;
  }

  c.get('/keys', { config: roles }, async (request, reply) => {
    return sendPage(reply, page({ title: 'API keys', session: sessionOf(request), nav: 'keys' }, await listSection(request)));
  });

  c.post('/keys', { config: roles }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    const role = String(body.role ?? 'agent') as RoleT;
    const name = String(body.name ?? '').trim();
    try {
      if (!ROLES.includes(role)) throw new SwitchboardError('validation_failed', 'Pick a role: agent, admin or owner.', '/role');
      if (name.length > 200) throw new SwitchboardError('validation_failed', 'The name is too long: use at most 200 characters.', '/name');
      const key = await services.keys.create(caller(request), { name, role });
      toast(reply, 'Key created: copy it now');
      return sendPage(reply, await listSection(request, key));
    } catch (e) {
      if (!(e instanceof SwitchboardError) || !isHtmx(request)) throw e;
      toast(reply, e.message, 'error');
      return sendPage(reply, await listSection(request, null, e.message));
    }
  });

  c.post('/keys/:id/revoke', { config: roles }, async (request, reply) => {
    await services.keys.remove(caller(request), (request.params as { id: string }).id);
    toast(reply, 'Key revoked');
    return sendPage(reply, await listSection(request));
  });
}
