import { describe, expect, it } from 'vitest';
import { MemoryLayoutDesc, ObjectKey, RawTagged, Tuple } from '../model.ts';
import { seededRandom } from '../util/random.ts';
import { TraceBuilder } from '../test-support/trace-builder.ts';
import { unknownTag } from '../test-support/damage.ts';
import { splitFrames } from '../test-support/fixtures.ts';
import { testSeed } from '../test-support/seed.ts';
import { TraceParser, type ParserOptions } from './trace-parser.ts';
import type { IndexArgsSink } from './index-args.ts';
import type { RecordView } from './record-view.ts';

/**
 * `checkArgs` (a walk over the bytes, nothing built) must report exactly what `decodeArgs` (the full
 * decode) reports: the same frames malformed with the same reasons, the same unknown-tag counts, and
 * args() decoding the same values afterwards. Traces mix keys whose bytes after the hash repeat
 * (the walker's shortcut) with keys that differ in one field, then get random bytes overwritten.
 */
const SEED = testSeed('checkArgs vs decodeArgs');

const MODELS = ['m/a', 'm/b', 'org/Model-7B', 'é-unicode', 'x'.repeat(40)];
const SALTS = ['', 's1', 's2', 'long-salt-'.repeat(4)];
const RANKS = [0, 5, 0x01000100, 2 ** 40];
const LAYOUT = new MemoryLayoutDesc([[2, 4, 256, 8, 128]], ['torch.bfloat16']);

function randomKey(rand: () => number, vary: number): ObjectKey {
  const pick = <T,>(xs: readonly T[]): T => (rand() < vary ? xs[Math.floor(rand() * xs.length)]! : xs[0]!);
  const hashLen = rand() < vary ? [0, 16, 32, 300][Math.floor(rand() * 4)]! : 32;
  const h = new Uint8Array(hashLen);
  for (let i = 0; i < hashLen; i++) h[i] = Math.floor(rand() * 256);
  return new ObjectKey(h, pick(MODELS), pick(RANKS), pick([0, 1, 300]), pick(SALTS), true);
}

function randomTrace(rand: () => number): Uint8Array {
  const b = TraceBuilder.memory();
  const n = 20 + Math.floor(rand() * 40);
  const vary = rand() * 0.5;
  for (let i = 0; i < n; i++) {
    const keys = Array.from({ length: Math.floor(rand() * 12) }, () => randomKey(rand, vary));
    const r = rand();
    if (r < 0.5) b.call('reserve_write', i * 0.001, { keys, layout_desc: LAYOUT, mode: 'new' });
    else if (r < 0.6) b.call('finish_write', i * 0.001, { keys: new Tuple(keys) });
    else if (r < 0.7) b.call('submit_prefetch_task', i * 0.001, { keys, layout_desc: LAYOUT, external_request_id: `req-${i}` });
    else if (r < 0.8) b.record('q.unknown', i * 0.001, ['keys', 'odd'], [keys, unknownTag('Mystery', [1, keys.length])]);
    else if (r < 0.9) b.record('q.mixed', i * 0.001, ['keys', 'n'], [[...keys, unknownTag('ObjectKey', { chunk_hash: 'not bytes' })], 7]);
    else b.record('q.nested', i * 0.001, ['keys', 'more'], [keys, { inner: [unknownTag('Other', null), keys.slice(0, 1)] }]);
  }
  return b.bytes();
}

/** Overwrites a few random bytes of record bodies (never a length prefix: framing stays intact). */
function damage(bytes: Uint8Array, rand: () => number): Uint8Array {
  const out = bytes.slice();
  const frames = splitFrames(out).slice(1);
  const hits = Math.floor(rand() * 4);
  for (let i = 0; i < hits && frames.length > 0; i++) {
    const f = frames[Math.floor(rand() * frames.length)]!;
    if (f.body.length === 0) continue;
    out[f.offset + 4 + Math.floor(rand() * f.body.length)] = [0xff, 0xc1, 0x00, 0xa5, 0xdc, Math.floor(rand() * 256)][Math.floor(rand() * 6)]!;
  }
  return out;
}

/** Parses `bytes` fed in chunks of `chunk()` bytes. */
function parse(bytes: Uint8Array, options: ParserOptions, chunk: () => number) {
  const p = new TraceParser(options);
  const recs: RecordView[] = [];
  for (let o = 0; o < bytes.length; ) {
    const n = chunk();
    recs.push(...(p.push(bytes.subarray(o, o + n)) as RecordView[]));
    o += n;
  }
  p.finish();
  return { report: p.report, recs, tags: recs.map((r) => r.unknownTags) };
}

const plain = (v: unknown): unknown => {
  if (v instanceof RawTagged) return { raw: v.tag, payload: plain(v.payload), error: v.error };
  if (v instanceof ObjectKey) return v.id;
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Tuple) return { tuple: v.items.map(plain) };
  if (v instanceof Uint8Array) return Array.from(v);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
};

type Arg = { name: string; keys: string[] } | { name: string; value: unknown };
const keyText = (hash: Uint8Array, model: string, rank: number, group: number, salt: string) => `${Array.from(hash).join('.')}|${model}|${rank}|${group}|${salt}`;
const keyList = (v: unknown): ObjectKey[] | null => {
  const items = Array.isArray(v) ? v : v instanceof Tuple ? v.items : null;
  return items && items.every((k) => k instanceof ObjectKey) ? (items as ObjectKey[]) : null;
};

/** What the index walk (IndexArgsScanner, keys read in place) reports for a record. */
function walked(r: RecordView): Arg[] {
  const out: Arg[] = [];
  let list: string[] = [];
  const sink: IndexArgsSink = {
    keyList: (name) => out.push({ name, keys: (list = []) }),
    key: (buf, at, len, model, rank, group, salt) => list.push(keyText(buf.subarray(at, at + len), model, rank, group, salt)),
    value: (name, v) => {
      const keys = keyList(v);
      out.push(keys ? { name, keys: keys.map((k) => keyText(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt)) } : { name, value: plain(v) });
    },
  };
  r.indexArgs(sink);
  return out;
}

/** The same from the full decode. */
function decoded(r: RecordView): Arg[] {
  const args = r.decodeArgs();
  return Object.keys(args).map((name) => {
    const keys = keyList(args[name]);
    return keys ? { name, keys: keys.map((k) => keyText(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt)) } : { name, value: plain(args[name]) };
  });
}

describe('checkArgs reports what decodeArgs reports (seeded)', () => {
  it('intact and damaged traces, random chunkings: same report, same unknown tags, same args afterwards', () => {
    const rand = seededRandom(SEED);
    let malformedSeen = 0;
    let tagsSeen = 0;
    for (let t = 0; t < 150; t++) {
      const intact = randomTrace(rand);
      const bytes = t % 3 === 0 ? intact : damage(intact, rand);
      const chunk = () => 1 + Math.floor(rand() * 3000);
      const full = parse(bytes, { decodeArgs: true }, chunk);
      const check = parse(bytes, { checkArgs: true }, chunk);
      expect(check.report, `trace ${t}, seed ${SEED}`).toEqual(full.report);
      // Errors name file offsets: one chunk or many, the same report.
      expect(parse(bytes, { checkArgs: true }, () => bytes.length).report, `trace ${t}, seed ${SEED}`).toEqual(full.report);
      expect(check.tags, `trace ${t}, seed ${SEED}`).toEqual(full.tags);
      // The index walk shares the check's shortcuts: the keys it reads must be the decoded ones
      // (walked before args(), which would cache the decode and bypass the walk).
      expect(check.recs.map(walked), `trace ${t}, seed ${SEED}`).toEqual(full.recs.map(decoded));
      expect(check.recs.map((r) => plain(r.args())), `trace ${t}, seed ${SEED}`).toEqual(full.recs.map((r) => plain(r.args())));
      malformedSeen += full.report.malformed;
      tagsSeen += full.report.argDecodeErrors;
    }
    // The traces did exercise both outcomes the check must agree on.
    expect(malformedSeen).toBeGreaterThan(0);
    expect(tagsSeen).toBeGreaterThan(0);
  });

  it('without either option, arguments are not looked at: a frame with broken args is not malformed', () => {
    const b = TraceBuilder.memory();
    b.call('finish_write', 0, { keys: [new ObjectKey(new Uint8Array(32), 'QQQQ', 0, 0, '')] });
    const bytes = b.bytes();
    const f = splitFrames(bytes)[1]!;
    // The model name's first byte becomes 0xff: invalid UTF-8, which a check or a decode refuses.
    const broken = bytes.slice();
    broken[f.offset + 4 + Buffer.from(f.body).indexOf('QQQQ')] = 0xff;
    const rand = seededRandom(SEED);
    const chunk = () => 1 + Math.floor(rand() * 100);
    expect(parse(broken, {}, chunk).report.malformed).toBe(0);
    const checked = parse(broken, { checkArgs: true }, chunk).report;
    expect(checked.malformed).toBe(1);
    expect(checked).toEqual(parse(broken, { decodeArgs: true }, chunk).report);
  });
});
