import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TraceAnalyzer } from '../analyze/analyzer.ts';
import { createDefaultRegistry } from '../codec/registry.ts';
import { MsgpackWriter } from '../format/msgpack-writer.ts';
import { SM_METHODS, smQualname } from '../format/spec.ts';
import { AttnWindowDesc, MemoryLayoutDesc, ObjectKey, PrefetchHandle, PrefetchRequestSpec, TrimPolicy, Tuple } from '../model.ts';
import { LMCACHE_FIXTURES, chunkedStream, fixtureBytes } from '../test-support/fixtures.ts';
import { RecordView } from './record-view.ts';
import { TraceReader } from './trace-reader.ts';
import { testSeed } from '../test-support/seed.ts';

const registry = createDefaultRegistry();
const SEED = testSeed('index-args tests');

type Outcome = { ok: true; unknownTags: number } | { ok: false; message: string };

/** Feeds the same records to add(decodeArgs()) and addIndexed(); expects identical indexes. */
function compare(records: RecordView[]): { a: TraceAnalyzer; b: TraceAnalyzer } {
  const a = new TraceAnalyzer(), b = new TraceAnalyzer();
  for (const r of records) {
    let ra: Outcome, rb: Outcome;
    try {
      a.add(r.index, a.index.methods.intern(r.qualname), r.t_mono, r.decodeArgs());
      ra = { ok: true, unknownTags: r.unknownTags };
    } catch (e) {
      ra = { ok: false, message: (e as Error).message };
    }
    r.unknownTags = -1;
    try {
      b.addIndexed(r.index, b.index.methods.intern(r.qualname), r.t_mono, r);
      rb = { ok: true, unknownTags: r.unknownTags };
    } catch (e) {
      rb = { ok: false, message: (e as Error).message };
    }
    expect(rb).toEqual(ra);
  }
  const x = a.index, y = b.index;
  expect(y.length).toBe(x.length);
  for (let c = 0; c < x.length; c++) {
    expect([y.textOf(c), y.externalRequestIdOf(c), y.keyShapeOf(c), y.methodOf(c), y.timeOf(c), y.recordIndexOf(c)]).toEqual([
      x.textOf(c), x.externalRequestIdOf(c), x.keyShapeOf(c), x.methodOf(c), x.timeOf(c), x.recordIndexOf(c),
    ]);
    expect(Array.from(y.keysOfCall(c))).toEqual(Array.from(x.keysOfCall(c)));
  }
  expect(y.keys.size).toBe(x.keys.size);
  for (let k = 0; k < x.keys.size; k++) expect(y.keys.info(k, 0)).toEqual(x.keys.info(k, 0));
  expect(b.summary()).toEqual(a.summary());
  expect(b.flagGroups(undefined, 1000)).toEqual(a.flagGroups(undefined, 1000));
  return { a, b };
}

async function readViews(bytes: Uint8Array): Promise<RecordView[]> {
  const reader = new TraceReader(chunkedStream(bytes, [4096]), { decodeArgs: false });
  const out: RecordView[] = [];
  try {
    for await (const b of reader.batches()) for (const r of b) out.push(r as RecordView);
  } catch {
    // header errors: no records
  }
  return out;
}

function view(i: number, qualname: string, args: Uint8Array): RecordView {
  return new RecordView(i, 0, args.length + 4, i * 0.001, 1.7e9, qualname, args, 0, 0, args.length, registry);
}

function encodeArgs(entries: [string, unknown][]): Uint8Array {
  const w = new MsgpackWriter(256);
  w.mapHeader(entries.length);
  for (const [k, v] of entries) {
    w.str(k);
    registry.encode(w, v);
  }
  return w.bytes().slice();
}

describe('RecordView.indexArgs + TraceAnalyzer.addIndexed equal the full decode', () => {
  const files = readdirSync(LMCACHE_FIXTURES).filter((f) => f.endsWith('.lct'));
  for (const file of files) {
    it(`fixture ${file}`, async () => {
      compare(await readViews(fixtureBytes(file)));
    });
  }

  const hash = fc.uint8Array({ minLength: 0, maxLength: 34 });
  const keyArb = fc
    .record({ h: fc.constantFrom(0, 1, 2, 3, 4), model: fc.constantFrom('org/A', 'org/B', 'é模型'), rank: fc.integer({ min: 0, max: 3 }), group: fc.constantFrom(0, 1, 2 ** 40), salt: fc.constantFrom('', 's') })
    .map(({ h, model, rank, group, salt }) => new ObjectKey(new Uint8Array([h, h * 7, 3, 4, 5, 6, 7, 8, 9, h]), model, rank, group, salt));
  const keys = fc.array(fc.oneof(keyArb, hash.map((b) => new ObjectKey(b, 'org/A'))), { maxLength: 5 });
  const layout = new MemoryLayoutDesc([[2, 16, 8]], ['torch.bfloat16']);
  const valueArb: fc.Arbitrary<unknown> = fc.oneof(
    keys,
    keys.map((k) => new Tuple(k)),
    keys.map((k) => new Set(k)),
    keys.map((k) => [...k, 7]),
    keys.map((k) => new PrefetchRequestSpec(k, layout, 2, TrimPolicy.PREFIX, new AttnWindowDesc([-1]))),
    fc.constantFrom(layout, TrimPolicy.SPARSE, new PrefetchHandle(4, 'req-9', [0], 2, 1.5, [1]), 'new', 'req-1', 12, -3, 2 ** 60, 1.5, true, null, new Uint8Array([1, 2])),
    fc.string({ maxLength: 6 }),
    fc.dictionary(fc.constantFrom('a', 'b', '1'), fc.oneof(fc.integer(), keys), { maxKeys: 3 }),
  );
  const nameArb = fc.constantFrom('keys', 'spec', 'layout_desc', 'mode', 'external_request_id', 'x', '0', '12', '__proto__', '__t__', 'v');
  const recordArb = fc.record({
    method: fc.constantFrom(...Object.values(SM_METHODS), 'other'),
    args: fc.array(fc.tuple(nameArb, valueArb), { maxLength: 5 }),
    damage: fc.option(fc.tuple(fc.nat(), fc.nat(255), fc.boolean()), { nil: undefined, freq: 4 }),
  });

  it('random records, including damaged bytes and odd names', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 30 }), (recs) => {
        const views = recs.map((r, i) => {
          let bytes = encodeArgs(r.args);
          if (r.damage) {
            const [at, byte, cut] = r.damage;
            const p = at % bytes.length;
            if (cut) bytes = bytes.slice(0, p);
            else bytes[p] = byte;
          }
          return view(i, r.method === 'other' ? 'm.other' : smQualname(r.method), bytes);
        });
        compare(views);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('non-canonical key layouts (v1 keys without cache_salt, float rank) fall back to the decoder', () => {
    const k = new ObjectKey(new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]), 'org/A', 1, 0, '');
    const canon = encodeArgs([['keys', [k, k]]]);
    // Same key in a v1 layout: {chunk_hash, model_name, kv_rank}.
    const w = new MsgpackWriter(256);
    w.mapHeader(1);
    w.str('keys');
    w.arrayHeader(1);
    w.mapHeader(2);
    w.str('__t__');
    w.str('ObjectKey');
    w.str('v');
    w.mapHeader(3);
    w.str('chunk_hash');
    w.bin(k.chunkHash);
    w.str('model_name');
    w.str('org/A');
    w.str('kv_rank');
    w.number(1);
    const v1 = w.bytes().slice();
    const { b } = compare([view(0, smQualname(SM_METHODS.reserveWrite), canon), view(1, smQualname(SM_METHODS.finishWrite), v1)]);
    expect(b.index.keys.size).toBe(1);
  });
});
