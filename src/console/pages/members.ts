import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { MEMBER_ROLES, type MemberT } from '../../services/members.ts';
import { html, attr, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { sendPage, sessionOf, toast } from '../index.ts';

const OWNERS = { consoleRoles: ['owner'] as const };

function roleSelect(m: MemberT): Html {
  return html`<form class="inline role-form" hx-post="/console/members/${m.id}/role" hx-target="#members" hx-swap="outerHTML" hx-trigger="change">
    <label class="sr-only" for="role-${m.id}">Role of ${m.email}</label>
    <select id="role-${m.id}" name="role">
      ${MEMBER_ROLES.map((r) => html`<option value="${r}"${attr('selected', r === m.role)}>${r}</option>`)}
    </select>
  </form>`;
}

function membersSection(members: MemberT[], selfId: string, notice: Html | null, errors: Record<string, string> = {}, typed: Record<string, string> = {}): Html {
  return html`<section id="members">
  <div class="page-head">
    <div>
      <h1>Members</h1>
      <p class="muted">People who sign in to this console. Owners manage members; owners and admins manage webhooks; agents see neither.</p>
    </div>
  </div>
  <div id="member-notice">${notice ?? ''}</div>
  <div class="table-wrap"><table class="list">
    <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Password</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
    <tbody>${members.map(
      (m) => html`<tr id="member-${m.id}">
      <td>${m.name}${m.id === selfId ? html` <span class="muted small">(you)</span>` : ''}</td>
      <td>${m.email}</td>
      <td>${roleSelect(m)}</td>
      <td>${m.has_password ? 'set' : html`<span class="muted">invited</span>`}</td>
      <td class="actions">${m.id === selfId
        ? ''
        : html`<details class="menu">
        <summary aria-label="Actions for ${m.email}" title="Actions">⋮</summary>
        <div class="menu-list" role="menu">
          <button role="menuitem" type="button" hx-post="/console/members/${m.id}/invite" hx-target="#members" hx-swap="outerHTML">New one-time link</button>
          <button role="menuitem" type="button" hx-get="/console/members/${m.id}/password" hx-target="#member-notice" hx-swap="innerHTML">Set password</button>
          <button role="menuitem" type="button" class="danger" hx-post="/console/members/${m.id}/remove" hx-target="#members" hx-swap="outerHTML" hx-confirm="Remove ${m.email}? They are signed out and can no longer sign in.">Remove</button>
        </div>
      </details>`}</td>
    </tr>`,
    )}</tbody>
  </table></div>
  <section class="card add-member" aria-labelledby="add-title">
    <h2 id="add-title">Add a member</h2>
    <form hx-post="/console/members" hx-target="#members" hx-swap="outerHTML" class="grid-form" novalidate>
      <div class="field">
        <label for="m-email">Email <span class="req" aria-hidden="true">*</span></label>
        <input id="m-email" name="email" type="email" required value="${typed.email ?? ''}"${errors.email ? html` aria-invalid="true" aria-describedby="err-m-email"` : ''}>
        ${errors.email ? html`<p class="field-error" id="err-m-email">${errors.email}</p>` : ''}
      </div>
      <div class="field">
        <label for="m-name">Name</label>
        <input id="m-name" name="name" value="${typed.name ?? ''}">
      </div>
      <div class="field">
        <label for="m-role">Role</label>
        <select id="m-role" name="role">${MEMBER_ROLES.map((r) => html`<option value="${r}"${attr('selected', r === (typed.role ?? 'admin'))}>${r}</option>`)}</select>
      </div>
      <div class="field">
        <label for="m-password">Password</label>
        <input id="m-password" name="password" type="password" autocomplete="new-password" aria-describedby="m-password-help"${errors.password ? html` aria-invalid="true"` : ''}>
        <p class="help" id="m-password-help">Leave blank to get a one-time link they open to choose their own.</p>
        ${errors.password ? html`<p class="field-error">${errors.password}</p>` : ''}
      </div>
      <div class="field end"><button type="submit" class="primary">Add member</button></div>
    </form>
  </section>
</section>`;
}

function passwordForm(m: MemberT, error?: string): Html {
  return html`<form class="card notice-card stack" hx-post="/console/members/${m.id}/password" hx-target="#members" hx-swap="outerHTML">
  <label for="set-password">New password for ${m.email} (12 characters or more)</label>
  <input id="set-password" name="password" type="password" autocomplete="new-password" required autofocus${error ? html` aria-invalid="true" aria-describedby="err-set-password"` : ''}>
  ${error ? html`<p class="field-error" id="err-set-password">${error}</p>` : ''}
  <div><button type="submit" class="primary">Set password</button></div>
</form>`;
}

function linkNotice(request: FastifyRequest, email: string, token: string): Html {
  const host = request.headers.host ?? 'localhost';
  const proto = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  const url = `${proto}://${host}/console/invite/${token}`;
  return html`<div class="card notice-card" role="status">
  <p><strong>One-time link for ${email}</strong> (valid 7 days, shown once; send it to them privately):</p>
  <p class="secret"><code class="secret-value" id="invite-link">${url}</code> <button type="button" class="ghost" data-copy-target="#invite-link">Copy</button></p>
</div>`;
}

export function memberPages(c: FastifyInstance, platform: Platform) {
  const { members } = platform.services;
  const company = (request: FastifyRequest) => sessionOf(request).member.company_id;
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  async function section(request: FastifyRequest, reply: FastifyReply, notice: Html | null, errors?: Record<string, string>, typed?: Record<string, string>) {
    return sendPage(reply, membersSection(await members.list(company(request)), sessionOf(request).member.id, notice, errors, typed));
  }

  c.get('/members', { config: OWNERS }, async (request, reply) => {
    const body = membersSection(await members.list(company(request)), sessionOf(request).member.id, null);
    return sendPage(reply, page({ title: 'Members', session: sessionOf(request), nav: 'members' }, body));
  });

  c.post('/members', { config: OWNERS }, async (request, reply) => {
    const b = (request.body ?? {}) as Record<string, string>;
    const typed = { email: b.email ?? '', name: b.name ?? '', role: b.role ?? 'admin' };
    try {
      const password = (b.password ?? '') === '' ? undefined : b.password;
      const res = await members.add(company(request), { email: typed.email, name: typed.name, role: typed.role, password, invite: password === undefined });
      toast(reply, `Added ${res.member.email}`);
      return section(request, reply, res.inviteToken ? linkNotice(request, res.member.email, res.inviteToken) : null);
    } catch (e) {
      if (e instanceof SwitchboardError && (e.status === 422 || e.code === 'conflict')) {
        toast(reply, e.message, 'error');
        return section(request, reply, null, { [e.param === '/password' ? 'password' : 'email']: e.message }, typed);
      }
      throw e;
    }
  });

  c.post('/members/:id/role', { config: OWNERS }, async (request, reply) => {
    const role = String((request.body as Record<string, string> | undefined)?.role ?? '');
    try {
      const m = await members.changeRole(company(request), idOf(request), role);
      toast(reply, `${m.email} is now ${m.role}`);
    } catch (e) {
      if (!(e instanceof SwitchboardError) || e.code !== 'conflict') throw e;
      toast(reply, e.message, 'error');
    }
    return section(request, reply, null);
  });

  c.post('/members/:id/remove', { config: OWNERS }, async (request, reply) => {
    const id = idOf(request);
    const m = await members.get(company(request), id);
    try {
      await members.remove(company(request), id);
      toast(reply, `Removed ${m.email}`);
    } catch (e) {
      if (!(e instanceof SwitchboardError) || e.code !== 'conflict') throw e;
      toast(reply, e.message, 'error');
    }
    return section(request, reply, null);
  });

  c.get('/members/:id/password', { config: OWNERS }, async (request, reply) => {
    const m = await members.get(company(request), idOf(request));
    return sendPage(reply, passwordForm(m));
  });

  c.post('/members/:id/password', { config: OWNERS }, async (request, reply) => {
    const m = await members.get(company(request), idOf(request));
    try {
      await members.setPassword(company(request), m.id, String((request.body as Record<string, string> | undefined)?.password ?? ''));
    } catch (e) {
      if (e instanceof SwitchboardError && e.param === '/password') {
        reply.header('hx-retarget', '#member-notice').header('hx-reswap', 'innerHTML');
        return sendPage(reply, passwordForm(m, e.message));
      }
      throw e;
    }
    toast(reply, `Password set for ${m.email}; their other sessions ended`);
    return section(request, reply, null);
  });

  c.post('/members/:id/invite', { config: OWNERS }, async (request, reply) => {
    const m = await members.get(company(request), idOf(request));
    const token = await members.invite(company(request), m.id);
    toast(reply, `New link for ${m.email}`);
    return section(request, reply, linkNotice(request, m.email, token));
  });
}
