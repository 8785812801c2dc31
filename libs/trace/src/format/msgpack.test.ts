import { describe, expect, it } from 'vitest';
import { pack, unpack } from 'msgpackr';
import { MsgpackWriter } from './msgpack-writer.ts';
import { MsgpackDecodeError, MsgpackReader } from './msgpack-reader.ts';

const enc = (f: (w: MsgpackWriter) => void) => {
  const w = new MsgpackWriter(4);
  f(w);
  return [...w.bytes()];
};

describe('msgpack writer: smallest representation, as msgspec writes it', () => {
  it('ints: uint formats for non-negative, int formats for negative', () => {
    expect(enc((w) => w.int(127))).toEqual([0x7f]);
    expect(enc((w) => w.int(128))).toEqual([0xcc, 0x80]);
    expect(enc((w) => w.int(65535))).toEqual([0xcd, 0xff, 0xff]);
    expect(enc((w) => w.int(16777472))).toEqual([0xce, 0x01, 0x00, 0x01, 0x00]);
    expect(enc((w) => w.int(2 ** 40))).toEqual([0xcf, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(enc((w) => w.int(-1))).toEqual([0xff]);
    expect(enc((w) => w.int(-33))).toEqual([0xd0, 0xdf]);
    expect(enc((w) => w.int(-40000))).toEqual([0xd2, 0xff, 0xff, 0x63, 0xc0]);
  });
  it('floats are always float64, even 0.0', () => {
    expect(enc((w) => w.float64(0))).toEqual([0xcb, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(enc((w) => w.number(0.5))[0]).toBe(0xcb);
    expect(enc((w) => w.number(-0))[0]).toBe(0xcb);
  });
  it('strings pick fixstr/str8/str16 by UTF-8 length, bytes are bin', () => {
    expect(enc((w) => w.str('a'.repeat(31)))[0]).toBe(0xbf);
    expect(enc((w) => w.str('a'.repeat(32))).slice(0, 2)).toEqual([0xd9, 32]);
    expect(enc((w) => w.str('é'.repeat(20))).slice(0, 2)).toEqual([0xd9, 40]);
    expect(enc((w) => w.str('x'.repeat(300))).slice(0, 3)).toEqual([0xda, 1, 44]);
    expect(enc((w) => w.bin(new Uint8Array([1, 2])))).toEqual([0xc4, 2, 1, 2]);
  });
  it('agrees with msgpackr on what it decodes', () => {
    const w = new MsgpackWriter();
    w.mapHeader(3);
    w.str('a');
    w.int(-5);
    w.str('é😀');
    w.float64(1.5);
    w.str('list');
    w.arrayHeader(2);
    w.nil();
    w.bool(true);
    expect(unpack(Buffer.from(w.bytes()))).toEqual({ a: -5, 'é😀': 1.5, list: [null, true] });
  });
});

describe('msgpack reader', () => {
  it('reads what msgpackr writes, 64-bit ints beyond 2^53 as bigint', () => {
    const data = { a: [1, -2, 3.25, 'x', true, null] };
    const b = new Uint8Array(pack(data));
    expect(new MsgpackReader(b).value()).toEqual(data);
    const big = new Uint8Array([0xcf, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    expect(new MsgpackReader(big).value()).toBe(2n ** 60n);
    const small = new Uint8Array([0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    expect(new MsgpackReader(small).value()).toBe(-2);
  });
  it('errors carry the absolute byte offset', () => {
    const b = new Uint8Array([0x92, 0x01, 0xc1]);
    try {
      new MsgpackReader(b, 0, b.length, 1000).value();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MsgpackDecodeError);
      expect((e as MsgpackDecodeError).offset).toBe(1002);
    }
  });
  it('bounded nesting depth', () => {
    const b = new Uint8Array(5000).fill(0x91);
    expect(() => new MsgpackReader(b).value()).toThrow(/nesting|end of data/);
  });
  it('skip walks a value without building it', () => {
    const b = new Uint8Array(pack({ x: [1, 2, { y: 'z'.repeat(40) }], w: new Uint8Array(300) }));
    const r = new MsgpackReader(b);
    r.skip();
    expect(r.pos).toBe(b.length);
  });
});

describe('msgpack reader: short strings', () => {
  it('decodes every short string right while the cache of repeated ones evicts and refills (40 bytes and under)', () => {
    // 20,000 strings of 0..40 bytes, ASCII and not: far more than the cache's 4,096 slots, so
    // slots are replaced by strings of the same length and of others.
    const strings = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? `é${i}` : `req-${i.toString(16)}`).padEnd(i % 41, 'x').slice(0, Math.max(i % 41, 1)));
    const w = new MsgpackWriter(1024);
    for (let round = 0; round < 2; round++) for (const s of strings) w.str(s);
    const bytes = w.bytes();
    const r = new MsgpackReader(bytes, 0, bytes.length);
    for (let round = 0; round < 2; round++) for (const s of strings) expect(r.str()).toBe(s);
    expect(r.pos).toBe(bytes.length);
  });

  it('a string that starts with U+FEFF keeps it, short or long, as Python decodes it', () => {
    const strings = ['\uFEFFreq', '\uFEFF' + 'é'.repeat(80)];
    const w = new MsgpackWriter(64);
    for (const s of strings) w.str(s);
    const bytes = w.bytes();
    expect([...bytes.subarray(1, 4)], 'the writer wrote the mark').toEqual([0xef, 0xbb, 0xbf]);
    const r = new MsgpackReader(bytes, 0, bytes.length);
    for (const s of strings) expect(r.str()).toBe(s);
  });
});
