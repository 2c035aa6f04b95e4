import type { ErrorObject } from 'ajv';

/** The JSON pointer an Ajv error is about, under `base` (`/config/tools/0` + `/name`). */
export function pointerOf(err: ErrorObject, base: string): string {
  const p = err.params as Record<string, unknown>;
  let path = base + err.instancePath;
  if (err.keyword === 'required' && typeof p.missingProperty === 'string') path += '/' + p.missingProperty;
  if (err.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') path += '/' + p.additionalProperty;
  return path;
}

/** A readable sentence for an Ajv error about `param`. */
export function describeError(err: ErrorObject, param: string): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return `${param} is required.`;
    case 'additionalProperties':
      return `${param} is not a known field.`;
    case 'enum':
      return `${param} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'anyOf':
      return `${param} has an invalid value.`;
    default:
      return `${param} ${err.message ?? 'is invalid'}.`;
  }
}
