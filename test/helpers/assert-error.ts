import assert from 'node:assert/strict';

/**
 * Asserts an answer is the contract's error body: the status, the error code, a type and a message
 * (and the failing `param` when given). The body goes into every failure message.
 */
export function assertError(res: { status: number; body: any }, status: number, code: string, param?: string): void {
  const shown = JSON.stringify(res.body);
  assert.equal(res.status, status, shown);
  assert.equal(res.body?.error?.code, code, shown);
  assert.equal(typeof res.body.error.type, 'string', shown);
  assert.equal(typeof res.body.error.message, 'string', shown);
  if (param !== undefined) assert.equal(res.body.error.param, param, shown);
}

/** A JSON Schema object with these properties (tool parameters in tests). */
export const objectSchema = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required });
