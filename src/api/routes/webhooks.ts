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
        summary: 'Create a webhook endpoint (defaults: retry [3, 3], failure_threshold 3, timeout_ms 10000 or 5000 for conversation.setup, max_in_flight 16)',
        body: CreateWebhook,
        response: responses({ 201: Webhook }),
      },
    },
    async (req, reply) => reply.code(201).send(await webhooks.create(callerOf(req), req.body)),
  );
  app.get(
    '/v1/webhooks',
    { config, schema: { tags, summary: 'List webhook endpoints, newest first', querystring: ListQuery, response: responses({ 200: ListOf(Webhook) }) } },
    async (req) => webhooks.list(callerOf(req), req.query.limit ?? 20, req.query.cursor),
  );
  app.get(
    '/v1/webhooks/:id',
    { config, schema: { tags, summary: 'Get a webhook endpoint (credentials masked)', params: IdParams, response: responses({ 200: Webhook }) } },
    async (req) => webhooks.get(callerOf(req), req.params.id),
  );
  app.patch(
    '/v1/webhooks/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Update a webhook endpoint (auth and headers are replaced as a whole; a masked "••••" value keeps the stored one)',
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
      schema: { tags, summary: 'Delete a webhook endpoint; its pending deliveries stop and its delivery log is deleted', params: IdParams, response: responses({ 204: Type.Null() }) },
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
    { config: { ...config, secretAnswer }, schema: { tags, summary: 'Get the signing secret', params: IdParams, response: responses({ 200: WebhookSecret }) } },
    async (req) => webhooks.secret(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/webhooks/:id/secret/rotate',
    {
      config: { ...config, secretAnswer },
      schema: {
        tags,
        summary: 'Rotate the signing secret; the previous one keeps signing alongside for 24 h',
        params: IdParams,
        response: responses({ 200: WebhookSecret }),
      },
    },
    async (req) => webhooks.rotateSecret(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/webhooks/:id/disable',
    { config, schema: { tags, summary: 'Disable (status inactive); new events are not queued for it until recovered', params: IdParams, response: responses({ 200: Webhook }) } },
    async (req) => webhooks.disable(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/webhooks/:id/enable',
    {
      config,
      schema: { tags, summary: 'Enable (status active) and reset the failure counter; emits webhook.recovered when it was failed', params: IdParams, response: responses({ 200: Webhook }) },
    },
    async (req) => webhooks.enable(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/webhooks/:id/test',
    {
      config,
      schema: {
        tags,
        summary: "Send a type's example event to this endpoint only, as a real delivery",
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
        summary: 'Re-queue failed deliveries since a time and create those skipped while the endpoint was inactive or failed',
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
        summary: "List an endpoint's deliveries, newest first",
        params: IdParams,
        querystring: Type.Object({ ...ListQuery.properties, status: Type.Optional(DeliveryStatus) }),
        response: responses({ 200: ListOf(DeliverySummary) }),
      },
    },
    async (req) => deliveries.list(callerOf(req), req.params.id, req.query.status, req.query.limit ?? 20, req.query.cursor),
  );
  app.get(
    '/v1/deliveries/:id',
    { config, schema: { tags, summary: 'Get a delivery with its attempts', params: IdParams, response: responses({ 200: Delivery }) } },
    async (req) => deliveries.get(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/deliveries/:id/retry',
    {
      config,
      schema: { tags, summary: 'A new attempt now, whatever the status (409 while an attempt is in flight or the endpoint is not active)', params: IdParams, response: responses({ 200: Delivery }) },
    },
    async (req) => deliveries.retry(callerOf(req), req.params.id),
  );
}
