/**
 * Small builders for the OpenAPI document (JSON Schema 2020-12, as OpenAPI 3.1 uses it), so that
 * each schema reads like the object it describes. An object schema lists every member the server
 * writes, all required unless named optional, and no others: a member the server adds without
 * adding it here fails the API suites, which validate every answer they get against the document.
 */

export type Schema = Readonly<Record<string, unknown>>;

export const str: Schema = { type: 'string' };
export const int: Schema = { type: 'integer' };
export const num: Schema = { type: 'number' };
export const bool: Schema = { type: 'boolean' };
/** Any JSON value. */
export const anyJson: Schema = {};
/** An ISO-8601 date-time, as every time in the API is written. */
export const time: Schema = { type: 'string', format: 'date-time' };

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** The value or null. */
export function nullable(schema: Schema): Schema {
  if (typeof schema['type'] === 'string' && schema['enum'] === undefined) return { ...schema, type: [schema['type'], 'null'] };
  return { oneOf: [schema, { type: 'null' }] };
}

export const strOrNull = nullable(str);
export const intOrNull = nullable(int);
export const numOrNull = nullable(num);
export const timeOrNull = nullable(time);

export function oneOfStrings(values: readonly string[], description?: string): Schema {
  return { type: 'string', enum: [...values], ...(description ? { description } : {}) };
}

export function arrayOf(items: Schema, extra: Record<string, unknown> = {}): Schema {
  return { type: 'array', items, ...extra };
}

export interface ObjectOptions {
  /** Members the server may leave out. */
  readonly optional?: readonly string[];
  readonly description?: string;
  /** True for objects that may carry members beyond those listed (problem extensions, job params). */
  readonly open?: boolean;
}

/** An object with exactly these members (all required unless optional). */
export function obj(properties: Readonly<Record<string, Schema>>, opts: ObjectOptions = {}): Schema {
  const optional = new Set(opts.optional ?? []);
  return {
    type: 'object',
    ...(opts.description ? { description: opts.description } : {}),
    properties,
    required: Object.keys(properties).filter((k) => !optional.has(k)),
    additionalProperties: opts.open === true,
  };
}

/** A page of a list: `{ items, total, offset, limit }`. */
export function pageOf(item: Schema, description?: string): Schema {
  return obj(
    {
      items: arrayOf(item),
      total: { type: 'integer', minimum: 0, description: 'How many items there are in all, across pages.' },
      offset: { type: 'integer', minimum: 0 },
      limit: { type: 'integer', minimum: 1 },
    },
    description ? { description } : {},
  );
}

/** Describes a schema without changing it. */
export function described(schema: Schema, description: string): Schema {
  return { ...schema, description };
}
