import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { newToken } from '../../domain/passwords.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { PRE_CSRF_COOKIE, SESSION_COOKIE, cookieOptions, sameToken } from '../security.ts';
import { sendPage } from '../index.ts';

type Body = Record<string, string | undefined>;

/** Only a console path may be the target after sign-in (no open redirect to another site). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(\/|$|\?)/.test(next) && !next.startsWith('//') ? next : '/console';
}

function preToken(request: FastifyRequest, reply: FastifyReply): string {
  let token = request.cookies[PRE_CSRF_COOKIE];
  if (!token || token.length < 20) {
    token = newToken();
    reply.setCookie(PRE_CSRF_COOKIE, token, cookieOptions(request, 3600));
  }
  return token;
}

function signInPage(csrf: string, opts: { email?: string; next?: string; error?: string; notice?: string }) {
  return page(
    { title: 'Sign in', session: null },
    html`<section class="card narrow signin">
  <h1>Sign in to Switchboard</h1>
  ${opts.notice ? html`<p class="notice">${opts.notice}</p>` : ''}
  ${opts.error ? html`<p class="form-error" role="alert" id="signin-error">${opts.error}</p>` : ''}
  <form method="post" action="/console/sign-in" class="stack">
    <input type="hidden" name="_csrf" value="${csrf}">
    <input type="hidden" name="next" value="${opts.next ?? '/console'}">
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="username" required autofocus value="${opts.email ?? ''}"${opts.error ? html` aria-describedby="signin-error"` : ''}>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" class="primary">Sign in</button>
  </form>
  <p class="muted small">No account yet? An owner adds you in Members. First time here? <a href="/console/setup">Set up the first owner</a> with the company's owner API key, or run <code>switchboard members add</code> on the server.</p>
</section>`,
  );
}

function passwordPage(csrf: string, token: string, email: string, error?: string) {
  return page(
    { title: 'Choose a password', session: null },
    html`<section class="card narrow signin">
  <h1>Choose a password</h1>
  <p>For <strong>${email}</strong>. At least 12 characters.</p>
  ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
  <form method="post" action="/console/invite/${token}" class="stack">
    <input type="hidden" name="_csrf" value="${csrf}">
    <label for="password">New password</label>
    <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required autofocus>
    <button type="submit" class="primary">Set password</button>
  </form>
</section>`,
  );
}

function setupPage(csrf: string, opts: { email?: string; name?: string; errors?: Record<string, string> }) {
  const e = opts.errors ?? {};
  const fieldError = (f: string) => (e[f] ? html`<p class="field-error" id="err-setup-${f}">${e[f]}</p>` : '');
  const invalid = (f: string) => (e[f] ? html` aria-invalid="true" aria-describedby="err-setup-${f}"` : '');
  return page(
    { title: 'Set up the first owner', session: null },
    html`<section class="card narrow signin">
  <h1>Set up the first owner</h1>
  <p class="muted">For a company with no console members yet. Prove you run it with its owner API key (the bootstrap key printed at the first start, or <code>SWITCHBOARD_BOOTSTRAP_KEY</code>).</p>
  ${e.form ? html`<p class="form-error" role="alert">${e.form}</p>` : ''}
  <form method="post" action="/console/setup" class="stack" novalidate>
    <input type="hidden" name="_csrf" value="${csrf}">
    <label for="key">Owner API key</label>
    <input id="key" name="key" type="password" autocomplete="off" required placeholder="sk_..."${invalid('key')}>
    ${fieldError('key')}
    <label for="email">Your email</label>
    <input id="email" name="email" type="email" autocomplete="username" required value="${opts.email ?? ''}"${invalid('email')}>
    ${fieldError('email')}
    <label for="name">Your name</label>
    <input id="name" name="name" autocomplete="name" value="${opts.name ?? ''}">
    <label for="password">Password (12 characters or more)</label>
    <input id="password" name="password" type="password" autocomplete="new-password" required${invalid('password')}>
    ${fieldError('password')}
    <button type="submit" class="primary">Create owner</button>
  </form>
</section>`,
  );
}

export function signInRoutes(c: FastifyInstance, services: Platform['services']) {
  const pub = { consolePublic: true };

  c.get('/sign-in', { config: pub }, async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    if (request.consoleSession) return reply.redirect(safeNext(q.next), 302);
    const notice = q.done === 'password' ? 'Your password is set. Sign in with it.' : q.done === 'out' ? 'You are signed out.' : q.expired ? 'Your session ended; sign in again.' : undefined;
    return sendPage(reply, signInPage(preToken(request, reply), { next: safeNext(q.next), notice }));
  });

  c.post('/sign-in', { config: pub }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    const email = String(body.email ?? '');
    const next = safeNext(body.next);
    if (!sameToken(body._csrf, request.cookies[PRE_CSRF_COOKIE])) {
      return sendPage(reply, signInPage(preToken(request, reply), { email, next, error: 'The sign-in form expired. Try again.' }), 403);
    }
    try {
      const { token } = await services.consoleSessions.signIn(email, String(body.password ?? ''), request.ip);
      // A new session id at every sign-in; whatever session the browser had is ended.
      const old = request.cookies[SESSION_COOKIE];
      if (old) await services.consoleSessions.signOut(old);
      reply.setCookie(SESSION_COOKIE, token, cookieOptions(request));
      reply.clearCookie(PRE_CSRF_COOKIE, cookieOptions(request));
      return reply.redirect(next, 303);
    } catch (err) {
      if (!(err instanceof SwitchboardError) || (err.code !== 'invalid_credentials' && err.code !== 'sign_in_limited')) throw err;
      return sendPage(reply, signInPage(preToken(request, reply), { email, next, error: err.message }), err.status);
    }
  });

  c.post('/sign-out', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await services.consoleSessions.signOut(token);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    return reply.redirect('/console/sign-in?done=out', 303);
  });

  c.get('/setup', { config: pub }, async (request, reply) => sendPage(reply, setupPage(preToken(request, reply), {})));

  // The first-run page: the owner API key proves who runs the company; it works only while the
  // company has no member, after which owners add members in the console.
  c.post('/setup', { config: pub }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    const typed = { email: String(body.email ?? ''), name: String(body.name ?? '') };
    const again = (errors: Record<string, string>, status: number) => sendPage(reply, setupPage(preToken(request, reply), { ...typed, errors }), status);
    if (!sameToken(body._csrf, request.cookies[PRE_CSRF_COOKIE])) return again({ form: 'The form expired. Try again.' }, 403);
    let companyId: string;
    try {
      const caller = await services.keys.authenticate(String(body.key ?? '').trim());
      if (caller.role !== 'owner') return again({ key: 'This is not an owner key: use the key with role owner.' }, 403);
      companyId = caller.companyId;
    } catch (err) {
      if (err instanceof SwitchboardError && err.status === 401) return again({ key: 'This API key is not valid.' }, 401);
      throw err;
    }
    if ((await services.members.list(companyId)).length > 0) {
      return again({ form: 'This company already has console members. Sign in, or ask one of its owners to add you.' }, 409);
    }
    try {
      await services.members.add(companyId, { email: typed.email, name: typed.name, role: 'owner', password: String(body.password ?? '') });
    } catch (err) {
      if (err instanceof SwitchboardError && (err.status === 422 || err.code === 'conflict')) {
        return again({ [err.param === '/password' ? 'password' : 'email']: err.message }, err.status);
      }
      throw err;
    }
    return reply.redirect('/console/sign-in?done=password', 303);
  });

  c.get('/invite/:token', { config: pub }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const found = await services.members.inviteMember(token);
    if (!found) throw new SwitchboardError('resource_not_found', 'This invitation link has expired or was already used; ask an owner for a new one.');
    return sendPage(reply, passwordPage(preToken(request, reply), token, found.email));
  });

  c.post('/invite/:token', { config: pub }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const body = (request.body ?? {}) as Body;
    const found = await services.members.inviteMember(token);
    if (!found) throw new SwitchboardError('resource_not_found', 'This invitation link has expired or was already used; ask an owner for a new one.');
    if (!sameToken(body._csrf, request.cookies[PRE_CSRF_COOKIE])) {
      return sendPage(reply, passwordPage(preToken(request, reply), token, found.email, 'The form expired. Try again.'), 403);
    }
    try {
      await services.members.acceptInvite(token, String(body.password ?? ''));
    } catch (err) {
      if (err instanceof SwitchboardError && err.param === '/password') {
        return sendPage(reply, passwordPage(preToken(request, reply), token, found.email, err.message), 422);
      }
      throw err;
    }
    return reply.redirect('/console/sign-in?done=password', 303);
  });
}
