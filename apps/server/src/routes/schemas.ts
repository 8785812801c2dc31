/** JSON schemas of the HTTP API (Fastify validates every body and query against them). */

/** Enough for any key list a worker sends (LMCache chunks a 128k-token prompt into 512 keys). */
export const MAX_KEYS = 4096;

export const keySchema = {
  type: 'object',
  required: ['chunk_hash', 'model_name'],
  additionalProperties: false,
  properties: {
    chunk_hash: { type: 'string', pattern: '^([0-9a-fA-F]{2})*$', maxLength: 512 },
    model_name: { type: 'string', maxLength: 512 },
    kv_rank: { type: 'integer', minimum: 0, maximum: 0xffffffff },
    object_group_id: { type: 'integer', minimum: 0, maximum: 0x7fffffff },
    cache_salt: { type: 'string', maxLength: 512 },
  },
} as const;

export const keysSchema = { type: 'array', items: keySchema, maxItems: MAX_KEYS } as const;

export const layoutSchema = {
  type: 'object',
  required: ['shapes', 'dtypes'],
  additionalProperties: false,
  properties: {
    shapes: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'array', maxItems: 16, items: { type: 'integer', minimum: 0, maximum: 0x7fffffff } } },
    dtypes: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', pattern: '^[A-Za-z0-9_.]+$', maxLength: 64 } },
  },
} as const;

export const writeModeSchema = { type: 'string', enum: ['new', 'update', 'all'] } as const;
export const policySchema = { type: 'string', enum: ['PREFIX', 'SEGMENTED_PREFIX', 'SPARSE'] } as const;
export const prefetchModeSchema = { type: 'string', enum: ['LOOKUP', 'WARM'] } as const;
export const extraCountSchema = { type: 'integer', minimum: 0, maximum: 1024 } as const;
export const attnDescSchema = { type: 'array', maxItems: 256, items: { type: 'integer', minimum: -1, maximum: 0x7fffffff, not: { const: 0 } } } as const;

const body = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', required, additionalProperties: false, properties }) as const;

export const reserveWriteBody = body(['keys', 'layout', 'mode'], { keys: keysSchema, layout: layoutSchema, mode: writeModeSchema });
export const keysBody = body(['keys'], { keys: keysSchema });
export const finishReadBody = body(['keys'], { keys: keysSchema, extra_count: extraCountSchema });
export const prefetchBody = body(['keys', 'layout'], {
  keys: keysSchema,
  layout: layoutSchema,
  extra_count: extraCountSchema,
  external_request_id: { type: 'string', maxLength: 1024 },
  policy: policySchema,
  attn_desc: attnDescSchema,
  skip_l2: { type: 'boolean' },
  mode: prefetchModeSchema,
  /** Default true: answer once L2 loads are done, with what was found. */
  wait: { type: 'boolean' },
});
export const retrieveBody = body(['keys', 'layout'], {
  keys: keysSchema,
  layout: layoutSchema,
  policy: policySchema,
  skip_l2: { type: 'boolean' },
  external_request_id: { type: 'string', maxLength: 1024 },
});

/** Metadata of framed bodies (validated by hand: Fastify validates JSON bodies only). */
export const writeDataMeta = body(['keys'], { keys: keysSchema, sizes: { type: 'array', maxItems: MAX_KEYS, items: { type: 'integer', minimum: 0 } } });
export const storeMeta = body(['keys', 'layout'], { keys: keysSchema, layout: layoutSchema, mode: writeModeSchema });
