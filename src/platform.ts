import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './store/database.ts';
import { createNotifier, type Notifier } from './store/notifier.ts';
import { loadMasterKey, verifyMasterKey } from './store/master-key.ts';
import { createSecretBox } from './domain/secret-box.ts';
import { createIdFactory } from './domain/ids.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { ServiceContext } from './services/context.ts';
import { createKeyService } from './services/keys.ts';
import { createUserService } from './services/users.ts';
import { createConversationService } from './services/conversations.ts';
import { createMessageService } from './services/messages.ts';
import { createCallService } from './services/calls.ts';
import { createEventService } from './services/events.ts';
import { queueStats } from './store/queue-stats.ts';
import { createWebhookService } from './services/webhooks.ts';
import { createDeliveryService } from './services/deliveries.ts';
import { createHttpClient } from './delivery/http-client.ts';
import { parseAllowList } from './domain/address-policy.ts';
import { USER_AGENT } from './version.ts';
import { createAgentService } from './services/agents.ts';
import { createConversationOpener } from './sync/setup.ts';
import { createToolCallService } from './services/tool-calls.ts';
import { createMemberService } from './services/members.ts';
import { createConsoleSessionService } from './services/console-sessions.ts';
import { createWebhookOverviewService } from './services/webhook-overview.ts';
import { createListenerService } from './services/listeners.ts';

/** Paths pino must never print: credentials, keys and secrets, wherever they appear. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.key',
  '*.value',
  '*.token',
  'key',
  'secret',
  'password',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

/** Everything one process holds: the store, the services and their shared parts. Built once. */
export interface Platform extends ServiceContext {
  services: ReturnType<typeof createServices>;
  close(): Promise<void>;
}

function createServices(ctx: ServiceContext) {
  const keys = createKeyService(ctx);
  const users = createUserService(ctx);
  const agents = createAgentService(ctx);
  const conversations = createConversationService(ctx, createConversationOpener(ctx, agents));
  const messages = createMessageService(ctx, conversations);
  const calls = createCallService(ctx, conversations);
  const events = createEventService(ctx);
  const toolCalls = createToolCallService(ctx, conversations);
  const webhooks = createWebhookService(ctx);
  const deliveries = createDeliveryService(ctx);
  const members = createMemberService(ctx);
  const consoleSessions = createConsoleSessionService(ctx);
  const webhookOverview = createWebhookOverviewService(ctx);
  const listeners = createListenerService(ctx);
  return { keys, users, conversations, messages, calls, events, agents, toolCalls, webhooks, deliveries, members, consoleSessions, webhookOverview, listeners };
}

export async function createPlatform(config: Config, logger: Logger): Promise<Platform> {
  const secrets = createSecretBox(loadMasterKey(config.masterKey, config.dataDir));
  const database: Database = await openDatabase({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: config.sqliteSynchronous,
    onBackgroundError: (err) => logger.warn({ err }, 'store background task failed'),
  });
  try {
    await verifyMasterKey(database, secrets, logger);
  } catch (err) {
    await database.close();
    throw err;
  }
  const notifier: Notifier = createNotifier(database.pool, (err) => logger.warn({ err }, 'notification listener failed'));
  const metrics: Metrics = createMetrics(() => queueStats(database.db));
  const ctx: ServiceContext = {
    config,
    database,
    newId: createIdFactory(),
    notifier,
    metrics,
    secrets,
    logger,
    httpClient: createHttpClient({
      allowTargets: parseAllowList(config.allowTargets),
      allowHttp: config.allowHttp,
      ...(config.caFile ? { ca: fs.readFileSync(config.caFile) } : {}),
      userAgent: USER_AGENT,
      logger,
    }),
  };
  const services = createServices(ctx);
  return {
    ...ctx,
    services,
    async close() {
      await ctx.httpClient.close();
      await notifier.close();
      await database.close();
    },
  };
}
