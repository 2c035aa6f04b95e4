import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { UnitOfWorkContext } from '../store/unit-of-work.ts';
import type { HttpClient } from './http-client.ts';

/**
 * What the delivery engine needs from the process: the store and its unit of work, the outbound
 * client, the secrets to open endpoint credentials, metrics and a logger. The platform's
 * ServiceContext has all of it; the engine depends on this, not on services/.
 */
export interface DeliveryContext extends UnitOfWorkContext {
  config: Config;
  metrics: Metrics;
  secrets: SecretBox;
  logger: Logger;
  httpClient: HttpClient;
}
