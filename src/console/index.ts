import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../platform.ts';
import type { ConsoleSession } from '../services/console-sessions.ts';
import type { MemberRole } from '../services/members.ts';
import { SwitchboardError } from '../domain/errors.ts';
import { toSwitchboardError } from '../api/errors.ts';
import { html, type Html } from './html.ts';
import { canManageWebhooks, messagePage, page } from './layout.ts';
import { PRE_CSRF_COOKIE, SESSION_COOKIE, cookieOptions, sameToken, securityHeaders, sentToken, triggerHeader } from './security.ts';
import { signInRoutes } from './pages/sign-in.ts';
import { webhookPages } from './pages/webhooks.ts';
import { deliveryPages } from './pages/deliveries.ts';
import { memberPages } from './pages/members.ts';
import { keyPages } from './pages/keys.ts';
import { eventPages } from './pages/events.ts';
import { conversationPages } from './pages/conversations.ts';
import { agentPages } from './pages/agents.ts';
import { overviewPages } from './pages/overview.ts';

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: ConsoleSession | null;
  }
  interface FastifyContextConfig {
    /** Console page reachable without signing in (sign-in, invitation, static files). */
    consolePublic?: boolean;
    /** Member roles allowed on a console page; every signed-in member when absent. */
    consoleRoles?: readonly MemberRole[];
  }
}

export type ConsoleApp = FastifyInstance;

/** Owners and admins manage webhooks; agents do not see them. */
export const WEBHOOK_ROLES: readonly MemberRole[] = ['owner', 'admin'];

const require = createRequire(import.meta.url);
const STATIC_DIR = path.join(import.meta.dirname, 'static');
const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

/** The static files, read once: our stylesheet and script, and htmx from its npm package. */
function loadStatic(): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of fs.readdirSync(STATIC_DIR)) {
    files.set(name, { body: fs.readFileSync(path.join(STATIC_DIR, name)), type: TYPES[path.extname(name)] ?? 'application/octet-stream' });
  }
  files.set('htmx.min.js', { body: fs.readFileSync(require.resolve('htmx.org/dist/htmx.min.js')), type: TYPES['.js']! });
  return files;
}

export function sendPage(reply: FastifyReply, body: Html, status = 200) {
  return reply.code(status).type('text/html; charset=utf-8').send(body.value);
}

/** Answers an htmx request with a toast (and, for errors, nothing swapped). */
export function toast(reply: FastifyReply, message: string, kind: 'success' | 'error' = 'success', extra: Record<string, unknown> = {}) {
  reply.header('hx-trigger', triggerHeader({ toast: { message, kind }, ...extra }));
}

export function isHtmx(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true';
}

/** Redirects a plain request with 303 and an htmx one with HX-Redirect (a full page load). */
export function redirect(request: FastifyRequest, reply: FastifyReply, to: string) {
  if (isHtmx(request)) return reply.header('hx-redirect', to).code(200).send('');
  return reply.redirect(to, 303);
}

export function sessionOf(request: FastifyRequest): ConsoleSession {
  if (!request.consoleSession) throw new SwitchboardError('missing_api_key');
  return request.consoleSession;
}

/**
 * The web console at /console: server-rendered pages over the same services as the API. Its own
 * encapsulated context, so its cookies, form parsing and HTML errors never touch /v1.
 */
export async function consolePlugin(app: FastifyInstance, platform: Platform) {
  const { services } = platform;
  const files = loadStatic();

  app.get('/', { schema: { hide: true } }, (_req, reply) => reply.redirect('/console', 302));

  await app.register(
    async (c) => {
      // Console pages are not part of the public API: keep them out of the OpenAPI document.
      c.addHook('onRoute', (route) => {
        route.schema = { ...(route.schema ?? {}), hide: true };
      });
      await c.register(cookie);
      await c.register(formbody, { bodyLimit: 1024 * 1024 });
      c.decorateRequest('consoleSession', null);

      c.addHook('onRequest', async (_request, reply) => {
        securityHeaders(reply);
      });

      c.addHook('preHandler', async (request, reply) => {
        const config = request.routeOptions.config;
        // Static files need no session: no store lookup for each stylesheet and script.
        if (request.url.startsWith('/console/static/')) return;
        const token = request.cookies[SESSION_COOKIE];
        if (token) request.consoleSession = await services.consoleSessions.resolve(token);
        if (config.consolePublic) return;
        const session = request.consoleSession;
        if (!session) {
          if (token) reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
          const back = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
          return redirect(request, reply, `/console/sign-in${back}`);
        }
        if (request.method !== 'GET' && request.method !== 'HEAD' && !sameToken(sentToken(request), session.csrf)) {
          return sendPage(reply, messagePage(session, 'Expired form', 'This form is out of date (its security token does not match). Reload the page and try again.'), 403);
        }
        if (config.consoleRoles && !config.consoleRoles.includes(session.member.role)) {
          return sendPage(reply, messagePage(session, 'Not available for your role', `Your role (${session.member.role}) cannot open this page. Ask an owner of your company if you need it.`), 403);
        }
      });

      c.setErrorHandler((err, request, reply) => {
        // The API's own mapping: a framework error (a body too large, bad encoding) is the client's.
        const mapped = toSwitchboardError(err as Parameters<typeof toSwitchboardError>[0]);
        const e = mapped.code === 'internal' ? null : mapped;
        if (!e) request.log.error({ err }, 'console request failed');
        const message = e ? e.message : 'Something went wrong on our side. Try again; if it keeps failing, check the server log.';
        if (isHtmx(request)) {
          toast(reply, message, 'error');
          return reply.code(200).send('');
        }
        const status = e ? e.status : 500;
        return sendPage(reply, messagePage(request.consoleSession, status === 404 ? 'Not found' : 'Something went wrong', message), status);
      });
      c.setNotFoundHandler((request, reply) => sendPage(reply, messagePage(request.consoleSession, 'Not found', 'There is no console page at this address.'), 404));

      c.get('/static/:name', { config: { consolePublic: true } }, async (request, reply) => {
        const f = files.get((request.params as { name: string }).name);
        if (!f) return reply.code(404).type('text/plain').send('not found');
        return reply.header('cache-control', 'public, max-age=300').type(f.type).send(f.body);
      });

      c.get('/', async (request, reply) => {
        const s = sessionOf(request);
        if (canManageWebhooks(s)) return reply.redirect('/console/overview', 302);
        return sendPage(
          reply,
          page(
            { title: 'Console', session: s, nav: 'home' },
            html`<section class="card narrow">
  <h1>Welcome, ${s.member.name}</h1>
  <p>You are signed in as an <strong>${s.member.role}</strong>. Webhook settings are managed by owners and admins of your company.</p>
</section>`,
          ),
        );
      });

      signInRoutes(c, services);
      webhookPages(c, platform);
      deliveryPages(c, platform);
      memberPages(c, platform);
      keyPages(c, platform);
      eventPages(c, platform);
      conversationPages(c, platform);
      agentPages(c, platform);
      overviewPages(c, platform);
    },
    { prefix: '/console' },
  );
}

export { PRE_CSRF_COOKIE };
