import type pg from 'pg';

const CHANNEL = 'switchboard_deliveries';

/**
 * Wakes idle workers when deliveries become due, so the hot path never waits for a poll. Inside
 * one process it is a plain signal; on PostgreSQL, writers also NOTIFY in their transaction (sent
 * at commit) and every worker LISTENs, so api and worker processes can be separate.
 */
export interface Notifier {
  /** Wake the workers of this process. */
  wake(): void;
  /** Resolves on the next wake-up, or after timeoutMs (the safety-net poll). */
  wait(timeoutMs: number): Promise<void>;
  /** Starts listening for other processes' notifications (PostgreSQL only). */
  listen(): Promise<void>;
  close(): Promise<void>;
}

export const NOTIFY_CHANNEL = CHANNEL;

export function createNotifier(pool: pg.Pool | null, onError: (err: Error) => void = () => {}): Notifier {
  let waiters: (() => void)[] = [];
  let client: pg.PoolClient | null = null;
  let closed = false;

  const wake = () => {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };

  let releaseClient: ((destroy: boolean) => void) | null = null;

  const connect = async (): Promise<void> => {
    if (!pool || closed) return;
    const c = await pool.connect();
    // Released once, with our listeners off: an error that arrives after close() (the server
    // shutting down, the database dropped) must not release the client a second time.
    let released = false;
    const release = (destroy: boolean) => {
      if (released) return;
      released = true;
      c.off('notification', wake);
      c.off('error', onClientError);
      c.release(destroy);
    };
    function onClientError(err: Error) {
      onError(err);
      release(true);
      if (client === c) {
        client = null;
        releaseClient = null;
      }
      // Reconnect after a pause; meanwhile the workers' poll keeps delivering.
      if (!closed) setTimeout(() => connect().catch(onError), 1000).unref();
    }
    c.on('notification', wake);
    c.on('error', onClientError);
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
    releaseClient = release;
  };

  return {
    wake,
    wait(timeoutMs) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          // A waiter that timed out leaves the list, or an idle process would collect one a poll.
          waiters = waiters.filter((w) => w !== done);
          resolve();
        }
        waiters.push(done);
      });
    },
    listen: connect,
    async close() {
      closed = true;
      wake();
      if (client && releaseClient) {
        const c = client;
        const release = releaseClient;
        client = null;
        releaseClient = null;
        let broken = false;
        try {
          await c.query(`UNLISTEN ${CHANNEL}`);
        } catch {
          broken = true; // the connection may already be gone: do not pool it again
        }
        release(broken);
      }
    },
  };
}
