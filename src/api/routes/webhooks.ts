import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { IdParams, ListOf, ListQuery } from '../../domain/schemas.ts';
import { CreateWebhook, Delivery, DeliveryStatus, DeliverySummary, UpdateWebhook, Webhook, WebhookSecret } from '../../domain/webhook-schemas.ts';
import type { WebhookService } from '../../services/webhooks.ts';
import type { DeliveryService } from '../../services/deliveries.ts';
import { MANAGERS, callerOf } from '../auth.ts';

/** Webhook endpoints, their signing secret, and the delivery log (owners and admins only). */
export function webhookRoutes(app: App, webhooks: WebhookService, deliveries: DeliveryService) {
  const tags = ['webhooks'];
  const config = { roles: MANAGERS };

  app.post(
    '/v1/webhooks',
    {
      config,
      schema: {
        tags,
        operationId: 'createWebhook',
        summary: 'Create a webhook endpoint',
        description: 'Creates an endpoint that receives the events it subscribes to, signed with its own secret. Defaults: retry [3, 3], failure_threshold 3, timeout_ms 10000 (5000 for conversation.setup), max_in_flight 16. An `http://` or private URL is refused unless the server allows it for local development.',
        errors: { 422: 'The company has its maximum number of endpoints (`limit_reached`), or another endpoint already subscribes to conversation.setup.' },
        body: CreateWebhook,
        response: responses({ 201: Webhook }),
      },
    },
    async (req, reply) => reply.code(201).send(await webhooks.create(callerOf(req), req.body)),
  );
  app.get(
    '/v1/webhooks',
    {
      config,
      schema: {
        tags,
        operationId: 'listWebhooks',
        summary: 'List webhook endpoints',
        description: 'Lists the company\'s endpoints, newest first, credentials masked; `limit` and `cursor` page it.',
        querystring: ListQuery,
        response: responses({ 200: ListOf(Webhook) }),
      },
    },
    async (req) => webhooks.list(callerOf(req), req.query.limit ?? 20, req.query.cursor),
  );
  app.get(
    '/v1/webhooks/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'getWebhook',
        summary: 'Get a webhook endpoint',
        description: 'Returns one endpoint; its auth password or key and credential-like header values are masked "••••".',
        params: IdParams,
        response: responses({ 200: Webhook }),
      },
    },
    async (req) => webhooks.get(callerOf(req), req.params.id),
  );
  app.patch(
    '/v1/webhooks/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'updateWebhook',
        summary: 'Update a webhook endpoint',
        description: 'Changes only the fields sent; `auth` and `headers` are replaced as a whole, a masked "••••" value keeps the stored one, and `"filter": null` removes the filter.',
        errors: { 422: 'Another endpoint already subscribes to conversation.setup.' },
        params: IdParams,
        body: UpdateWebhook,
        response: responses({ 200: Webhook }),
      },
    },
    async (req) => webhooks.update(callerOf(req), req.params.id, req.body),
  );
  app.delete(
    '/v1/webhooks/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook endpoint',
        description: 'Deletes the endpoint; its pending deliveries stop and its delivery log is deleted.',
        params: IdParams,
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      await webhooks.remove(callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  // Signing secrets are never kept for an idempotent replay; the current one is always readable.
  const secretAnswer = (_answer: unknown, req: FastifyRequest) =>
    `Read the endpoint's current signing secret with GET /v1/webhooks/${(req.params as { id: string }).id}/secret.`;
  app.get(
    '/v1/webhooks/:id/secret',
    {
      config: { ...config, secretAnswer },
      schema: {
        tags,
        operationId: 'getWebhookSecret',
        summary: 'Get the signing secret',
        description: 'Returns the endpoint\'s current signing secret (`whsec_...`), for verifying its deliveries.',
        params: IdParams,
        response: responses({ 200: WebhookSecret }),
      },
    },
    async (req) => webhooks.secret(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/webhooks/:id/secret/rotate',
    {
      config: { ...config, secretAnswer },
      schema: {
        tags,
        operationId: 'rotateWebhookSecret',
        summary: 'Rotate the signing secret',
        description: 'Makes a new signing secret; for 24 h deliveries carry a signature with each of the new and the previous one, so receivers can switch without losing events.',
        params: IdParams,
        response: responses({ 200: WebhookSecret }),
      },
    },
    async (req) => webhooks.rotateSecret(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/webhooks/:id/disable',
    {
      config,
      schema: {
        tags,
        operationId: 'disableWebhook',
        summary: 'Disable a webhook endpoint',
        description: 'Sets the status to `inactive`: new events are not queued for it until it is enabled (or recovered).',
        params: IdParams,
        response: responses({ 200: Webhook }),
      },
    },
    async (req) => webhooks.disable(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/webhooks/:id/enable',
    {
      config,
      schema: {
        tags,
        operationId: 'enableWebhook',
        summary: 'Enable a webhook endpoint',
        description: 'Sets the status to `active` and resets the failure counter; emits `webhook.recovered` when the endpoint was `failed`.',
        params: IdParams,
        response: responses({ 200: Webhook }),
      },
    },
    async (req) => webhooks.enable(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/webhooks/:id/test',
    {
      config,
      schema: {
        tags,
        operationId: 'testWebhook',
        summary: 'Send a test event',
        description: 'Sends the example event of a type to this endpoint only, signed and logged as a real delivery, and marked as a test on the event resource.',
        errors: { 409: 'The endpoint is not active (`conflict`): enable it first.', 422: '`type` is not a known event type; the message suggests the closest names.' },
        params: IdParams,
        body: Type.Object({ type: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
        response: responses({ 201: Delivery }),
      },
    },
    async (req, reply) => reply.code(201).send(await deliveries.test(callerOf(req), req.params.id, req.body.type)),
  );
  app.post(
    '/v1/webhooks/:id/recover',
    {
      config,
      schema: {
        tags,
        operationId: 'recoverWebhook',
        summary: 'Recover missed deliveries',
        description: 'Re-queues the endpoint\'s failed deliveries since `since` and creates the deliveries of events skipped while it was inactive or failed; answers how many were queued.',
        params: IdParams,
        body: Type.Object({ since: Type.String({ maxLength: 64, description: 'ISO 8601 timestamp' }) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ count: Type.Integer({ description: 'Deliveries queued' }) }) }),
      },
    },
    async (req) => deliveries.recover(callerOf(req), req.params.id, req.body.since),
  );
  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config,
      schema: {
        tags,
        operationId: 'listDeliveries',
        summary: 'List an endpoint\'s deliveries',
        description: 'The endpoint\'s deliveries, newest first, optionally filtered by `status`; `limit` and `cursor` page it.',
        params: IdParams,
        querystring: Type.Object({ ...ListQuery.properties, status: Type.Optional(DeliveryStatus) }),
        response: responses({ 200: ListOf(DeliverySummary) }),
      },
    },
    async (req) => deliveries.list(callerOf(req), req.params.id, req.query.status, req.query.limit ?? 20, req.query.cursor),
  );
  app.get(
    '/v1/deliveries/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'getDelivery',
        summary: 'Get a delivery',
        description: 'Returns one delivery with every attempt: request headers (masked), status code, answer excerpt and duration.',
        params: IdParams,
        response: responses({ 200: Delivery }),
      },
    },
    async (req) => deliveries.get(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/deliveries/:id/retry',
    {
      config,
      schema: {
        tags,
        operationId: 'retryDelivery',
        summary: 'Retry a delivery',
        description: "Makes a new attempt of the delivery now, whatever its status or its endpoint's (which keeps its status), and returns the delivery with it.",
        errors: { 409: 'An attempt of this delivery is in flight, or the delivery belongs to a `switchboard listen` session (`conflict`).' },
        params: IdParams,
        response: responses({ 200: Delivery }),
      },
    },
    async (req) => deliveries.retry(callerOf(req), req.params.id),
  );
}
