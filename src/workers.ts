import type { RunnerFactory } from './server.ts';
import { deliveryWorker } from './delivery/worker.ts';

/** The background runners of role `worker` (the delivery worker registers here). */
export function register(add: (factory: RunnerFactory) => void): void {
  add(deliveryWorker);
}
