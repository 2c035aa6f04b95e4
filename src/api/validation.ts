import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Request validation. Bodies are checked strictly (no type coercion: `"5"` is not a number, and
 * unknown fields are rejected, not silently dropped); query strings and path parameters are text
 * by nature, so there numbers and booleans are coerced.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = addFormats.default(new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false }));
  const lenient = addFormats.default(new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false }));
  const cache = new WeakMap<object, ValidateFunction>();
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : lenient;
    const key = schema as object;
    let fn = ajv === strict ? cache.get(key) : undefined;
    if (!fn) {
      fn = ajv.compile(schema as object);
      if (ajv === strict) cache.set(key, fn);
    }
    const validate = fn;
    return (data: unknown) => (validate(data) ? { value: data } : { error: Object.assign(new Error('validation'), { validation: validate.errors }) });
  };
}
