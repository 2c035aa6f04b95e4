import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from './platform.ts';
import type { App } from './api/types.ts';
import { SwitchboardError } from './domain/errors.ts';
import { createValidatorCompiler } from './api/validation.ts';
import { errorHandler, clientErrorHandler, frameworkErrorHandler } from './api/errors.ts';
import { decodeUtf8, parseJsonBody } from './api/json-body.ts';
import { createAuthHook } from './api/auth.ts';
import { createIdempotencyHooks, documentSecretAnswer } from './api/idempotency.ts';
import { createRateLimiter } from './api/rate-limit.ts';
import { DOCS_UI, describeRoute, openapiDocument } from './api/openapi.ts';
import { companyRoutes } from './api/routes/companies.ts';
import { keyRoutes } from './api/routes/keys.ts';
import { userRoutes } from './api/routes/users.ts';
import { conversationRoutes } from './api/routes/conversations.ts';
import { messageRoutes } from './api/routes/messages.ts';
import { eventRoutes } from './api/routes/events.ts';
import { healthRoutes } from './api/routes/health.ts';
import { webhookRoutes } from './api/routes/webhooks.ts';
import { agentRoutes } from './api/routes/agents.ts';
import { toolCallRoutes } from './api/routes/tool-calls.ts';
import { listenerRoutes } from './api/routes/listeners.ts';
import { consolePlugin } from './console/index.ts';

const MiB = 1024 * 1024;

/** Builds the HTTP app over a Platform: plumbing and route wiring only, no business rules. */
export async function buildApp(platform: Platform): Promise<App> {
  const { config, services, database, metrics } = platform;
  const app = Fastify({
    loggerInstance: platform.logger,
    bodyLimit: MiB,
    // One log line per request costs more than the request itself at load; metrics count them.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    // Errors raised before routing (bad percent-encoding, garbage on the socket) get the contract's
    // error body too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.setValidatorCompiler(createValidatorCompiler());
  app.decorateRequest('caller', null);
  app.decorateRequest('serverAdmin', false);

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: MiB }, (request, body, done) => {
    try {
      const text = decodeUtf8(body as Buffer);
      request.rawBody = text;
      done(null, parseJsonBody(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  await app.register(swagger, { openapi: openapiDocument(), transform: describeRoute });
  await app.register(swaggerUi, DOCS_UI);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.addHook('onRoute', documentSecretAnswer);
  const limiter = createRateLimiter(database, config.rateLimit);
  const anonymous = createRateLimiter(database, config.unauthenticatedRateLimit);
  app.addHook('onRequest', createAuthHook(services.keys, limiter, config.adminToken, anonymous));
  const idempotency = createIdempotencyHooks(database.db);
  app.addHook('preHandler', idempotency.preHandler);
  app.addHook('onSend', idempotency.onSend);
  // Hooks that run on every request and never wait take the callback form: an async hook costs a
  // promise and a microtask turn per request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new SwitchboardError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`).toBody());
  });

  healthRoutes(app, database, metrics, config.metricsToken);
  companyRoutes(app, services.keys);
  keyRoutes(app, services.keys);
  userRoutes(app, services.users);
  conversationRoutes(app, services.conversations, services.messages, services.calls);
  messageRoutes(app, services.messages);
  eventRoutes(app, services.events);
  // Route groups of the webhook and synchronous-webhook modules are registered below.
  webhookRoutes(app, services.webhooks, services.deliveries);
  agentRoutes(app, services.agents);
  toolCallRoutes(app, services.toolCalls);
  listenerRoutes(app, services.listeners, platform.notifier);
  // The web console (/console, and GET / redirects there): same process, same services.
  await consolePlugin(app as unknown as FastifyInstance, platform);

  await app.ready();
  return app;
}
