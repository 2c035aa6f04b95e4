/**
 * Seeded randomness for tests, so a failure seen once can be replayed: every test that draws random
 * numbers takes them from `seeded`, whose seed comes from SWITCHBOARD_TEST_SEED (to replay) or is
 * picked at random, and a failing test's error says which seed it ran with.
 */
export interface Random {
  seed: number;
  /** A float in [0, 1), like Math.random. */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/** mulberry32: tiny, fast and good enough to pick delays and failures. */
export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed: seed >>> 0, next, int: (n) => Math.floor(next() * n) };
}

/** The seed to use: SWITCHBOARD_TEST_SEED when set, else a fresh one per call. */
export function testSeed(): number {
  const env = process.env.SWITCHBOARD_TEST_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`SWITCHBOARD_TEST_SEED must be an integer, got ${env}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32);
}

/**
 * Runs `fn` with a seeded Random; if it throws, the error message ends with the seed and how to
 * replay it (SWITCHBOARD_TEST_SEED=<seed>).
 */
export async function seeded<T>(fn: (random: Random) => Promise<T>): Promise<T> {
  const random = createRandom(testSeed());
  try {
    return await fn(random);
  } catch (err) {
    const note = `(random seed ${random.seed}; replay with SWITCHBOARD_TEST_SEED=${random.seed})`;
    if (err instanceof Error) {
      // Reporters print the stack, which already holds the old message: change both.
      const old = err.message;
      err.message = `${old}\n${note}`;
      if (typeof err.stack === 'string') err.stack = err.stack.includes(old) ? err.stack.replace(old, err.message) : `${note}\n${err.stack}`;
      throw err;
    }
    throw new Error(`${String(err)}\n${note}`);
  }
}
