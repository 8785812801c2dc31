import { describe, expect, it } from 'vitest';
import { TORCH_DTYPE_ALIASES, TORCH_DTYPE_BYTES, TORCH_DTYPES } from '../format/spec.ts';
import { dtypeBytes } from '../model.ts';
import fc from 'fast-check';
import { CodecRegistry, EncodeError, createDefaultRegistry } from './registry.ts';
import { tupleCodec } from './tuple.ts';
import { MsgpackWriter } from '../format/msgpack-writer.ts';
import {
  AttnWindowDesc, MemoryLayoutDesc, ObjectKey, PrefetchHandle, PrefetchMode, PrefetchRequestSpec, RawTagged,
  TorchDtype, TorchSize, TrimPolicy, Tuple, packKvRank, unpackKvRank,
} from '../model.ts';
import { testSeed } from '../test-support/seed.ts';

const SEED = testSeed('codec round-trip property test');

const reg = createDefaultRegistry();

function roundTrip(args: Record<string, unknown>): { args: Record<string, unknown>; unknownTags: number } {
  const w = new MsgpackWriter(16);
  reg.encode(w, args);
  const bytes = w.bytes().slice();
  return reg.decodeArgs(bytes, 0, bytes.length);
}

const objectKey = fc
  .record({
    hash: fc.uint8Array({ minLength: 0, maxLength: 40 }),
    model: fc.string(),
    rank: fc.integer({ min: 0, max: 0xffffffff }),
    group: fc.integer({ min: 0, max: 1000 }),
    salt: fc.string(),
  })
  .map((k) => new ObjectKey(k.hash, k.model, k.rank, k.group, k.salt));
const layout = fc
  .array(fc.tuple(fc.array(fc.nat(4096), { maxLength: 5 }), fc.constantFrom('torch.bfloat16', 'torch.float16', 'torch.uint8')), { maxLength: 3 })
  .map((ts) => new MemoryLayoutDesc(ts.map((t) => t[0]), ts.map((t) => t[1])));

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.double({ noNaN: false }),
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 300 }),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)),
    objectKey,
    layout,
    fc.array(fc.nat(10000), { maxLength: 6 }).map((d) => new TorchSize(d)),
    fc.constantFrom('torch.float16', 'torch.bfloat16').map((n) => new TorchDtype(n)),
    fc.constantFrom(TrimPolicy.PREFIX, TrimPolicy.SPARSE, TrimPolicy.SEGMENTED_PREFIX, PrefetchMode.LOOKUP, PrefetchMode.WARM),
    fc.array(fc.integer({ min: -1, max: 64 }), { maxLength: 4 }).map((w) => new AttnWindowDesc(w)),
    fc.tuple(fc.array(objectKey, { maxLength: 4 }), layout, fc.nat(3)).map(([k, l, e]) => new PrefetchRequestSpec(k, l, e, TrimPolicy.SPARSE)),
    fc
      .tuple(fc.integer({ min: -1, max: 1e6 }), fc.string(), fc.array(fc.nat(64), { maxLength: 8 }), fc.nat(64), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.array(fc.nat(64), { maxLength: 8 }))
      .map(([id, ext, l1, total, t, l2]) => new PrefetchHandle(id, ext, l1, total, t, l2)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => new Tuple(xs)),
    fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 4 }).map((xs) => new Set(xs)),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 4, noNullPrototype: true }),
    // msgpack has one map type: a map decodes as Map only when it has a non-str key.
    fc.array(fc.tuple(fc.integer(), tie('value')), { minLength: 1, maxLength: 3 }).map((es) => new Map(es)),
  ),
}));

describe('codec round trip', () => {
  it('random argument values survive encode → decode (seeded)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 6, noNullPrototype: true }), (d) => {
        const args = d as Record<string, unknown>;
        const back = roundTrip(args);
        expect(back.unknownTags).toBe(0);
        expect(back.args).toStrictEqual(args);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('an unknown tag decodes as RawTagged, counted, never fatal', () => {
    const w = new MsgpackWriter();
    w.mapHeader(1);
    w.str('future');
    w.mapHeader(2);
    w.str('__t__');
    w.str('PrefetchTaskSpec');
    w.str('v');
    reg.encode(w, { group_size: 2 });
    const b = w.bytes();
    const d = reg.decodeArgs(b, 0, b.length);
    expect(d.unknownTags).toBe(1);
    expect(d.args.future).toBeInstanceOf(RawTagged);
    expect((d.args.future as RawTagged).tag).toBe('PrefetchTaskSpec');
    expect((d.args.future as RawTagged).payload).toEqual({ group_size: 2 });
  });

  it('a known tag with a payload of the wrong shape is kept raw with the reason', () => {
    const w = new MsgpackWriter();
    w.mapHeader(1);
    w.str('k');
    w.mapHeader(2);
    w.str('__t__');
    w.str('ObjectKey');
    w.str('v');
    w.str('not a map');
    const b = w.bytes();
    const d = reg.decodeArgs(b, 0, b.length);
    expect(d.unknownTags).toBe(1);
    expect((d.args.k as RawTagged).error).toMatch(/must be a map/);
  });

  it('a name in a file never instantiates anything: "constructor" and "__proto__" are plain data', () => {
    const w = new MsgpackWriter();
    w.mapHeader(2);
    w.str('__proto__');
    w.str('x');
    w.str('constructor');
    w.mapHeader(2);
    w.str('__t__');
    w.str('Function');
    w.str('v');
    w.str('return 1');
    const b = w.bytes();
    const d = reg.decodeArgs(b, 0, b.length);
    expect(Object.getPrototypeOf(d.args)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(d.args, '__proto__')?.value).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(d.args.constructor).toBeInstanceOf(RawTagged);
  });

  it('encoding a value with no codec throws EncodeError (the recorder drops that record)', () => {
    class Opaque {}
    const w = new MsgpackWriter();
    expect(() => reg.encode(w, { x: new Opaque() })).toThrow(EncodeError);
    expect(() => reg.encode(w, { f: () => 1 })).toThrow(EncodeError);
    expect(() => reg.encode(w, { s: Symbol('x') })).toThrow(EncodeError);
  });

  it('registering a tag twice throws', () => {
    expect(() => new CodecRegistry().register(tupleCodec).register(tupleCodec)).toThrow(/already registered/);
  });

  it('holds every tag of FORMAT.md', () => {
    expect(reg.tags.sort()).toEqual(
      ['AttnWindowDesc', 'MemoryLayoutDesc', 'ObjectKey', 'PrefetchHandle', 'PrefetchMode', 'PrefetchRequestSpec', 'TrimPolicy', 'set', 'torch.Size', 'torch.dtype', 'tuple'].sort(),
    );
  });

  it('kv_rank packs world, global rank, local world and local rank', () => {
    const r = { world: 4, globalRank: 3, localWorld: 2, localRank: 1 };
    expect(packKvRank(r)).toBe((4 << 24) | (3 << 16) | (2 << 8) | 1);
    expect(unpackKvRank(packKvRank(r))).toEqual(r);
    expect(unpackKvRank(16777472)).toEqual({ world: 1, globalRank: 0, localWorld: 1, localRank: 0 });
  });

  it('layout byte size is the sum of product(shape) x dtype bytes', () => {
    expect(new MemoryLayoutDesc([[2, 32, 256, 8, 128], [4]], ['torch.bfloat16', 'torch.float32']).byteSize).toBe(2 * 32 * 256 * 8 * 128 * 2 + 16);
  });
});

describe('hex helpers', () => {
  it('fromHex inverts toHex and refuses what is not hex', async () => {
    const { fromHex, toHex } = await import('../model.ts');
    const b = new Uint8Array([0, 1, 0xab, 0xff, 0x10]);
    expect(fromHex(toHex(b))).toEqual(b);
    expect(fromHex('ABff')).toEqual(new Uint8Array([0xab, 0xff]));
    for (const bad of ['abc', 'zz', '0g', ' 0']) expect(() => fromHex(bad), bad).toThrow(/not a hex/);
  });
});

describe('layout sizes', () => {
  it('a dtype named like an Object.prototype member counts 1 byte, never NaN', () => {
    expect(new MemoryLayoutDesc([[4]], ['constructor']).byteSize).toBe(4);
    expect(new MemoryLayoutDesc([[4]], ['__proto__']).byteSize).toBe(4);
  });

  it("every dtype LMCache accepts has torch's itemsize, and an alias the size of its canonical type", () => {
    // torch.<name>.itemsize for a sample across the families (complex, quantized, unsigned, float8, packed).
    const itemsize: Record<string, number> = {
      'torch.complex128': 16, 'torch.complex64': 8, 'torch.complex32': 4, 'torch.qint32': 4, 'torch.qint8': 1, 'torch.quint4x2': 1,
      'torch.uint16': 2, 'torch.uint32': 4, 'torch.uint64': 8, 'torch.float8_e5m2fnuz': 1, 'torch.float4_e2m1fn_x2': 1, 'torch.bits16': 2, 'torch.uint3': 1,
    };
    for (const [dtype, n] of Object.entries(itemsize)) expect(new MemoryLayoutDesc([[3, 5]], [dtype]).byteSize, dtype).toBe(15 * n);
    for (const d of TORCH_DTYPES) expect(dtypeBytes(d), d).toBe(TORCH_DTYPE_BYTES[d]);
    for (const [alias, canonical] of Object.entries(TORCH_DTYPE_ALIASES)) expect(dtypeBytes(alias), alias).toBe(dtypeBytes(canonical));
    expect(dtypeBytes('torch.cdouble')).toBe(16);
  });
});
