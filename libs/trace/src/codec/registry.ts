import { MsgpackReader } from '../format/msgpack-reader.ts';
import type { MsgpackWriter } from '../format/msgpack-writer.ts';
import { RawTagged } from '../model.ts';
import { attnWindowDescCodec } from './attn-window-desc.ts';
import { tagPrefix, type Codec } from './codec.ts';
import { prefetchModeCodec, trimPolicyCodec } from './enums.ts';
import { memoryLayoutDescCodec } from './memory-layout-desc.ts';
import { objectKeyCodec } from './object-key.ts';
import { prefetchHandleCodec } from './prefetch-handle.ts';
import { prefetchRequestSpecCodec } from './prefetch-request-spec.ts';
import { setCodec } from './set.ts';
import { torchDtypeCodec } from './torch-dtype.ts';
import { torchSizeCodec } from './torch-size.ts';
import { tupleCodec } from './tuple.ts';

/** A value the writer has no codec for: the record is dropped and counted, never written lossily. */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}

interface Entry {
  codec: Codec<unknown>;
  prefix: Uint8Array;
}

export interface DecodedArgs {
  args: Record<string, unknown>;
  /** RawTagged values produced: unknown tags and payloads that did not fit their codec. */
  unknownTags: number;
}

/**
 * The argument codecs, as an instance (not module state): tests and apps can build their own.
 * Decoding never instantiates anything named by the file: a tag selects one of the registered
 * codecs or becomes a RawTagged value.
 */
export class CodecRegistry {
  private readonly byTag = new Map<string, Entry>();
  private readonly byType = new Map<unknown, Entry[]>();

  register<T>(codec: Codec<T>): this {
    if (this.byTag.has(codec.tag)) throw new Error(`codec tag ${JSON.stringify(codec.tag)} is already registered`);
    const entry: Entry = { codec: codec as Codec<unknown>, prefix: tagPrefix(codec.tag) };
    this.byTag.set(codec.tag, entry);
    const list = this.byType.get(codec.type) ?? [];
    list.push(entry);
    this.byType.set(codec.type, list);
    return this;
  }

  get tags(): string[] {
    return [...this.byTag.keys()];
  }

  /** Writes one argument value; throws EncodeError for a value with no codec. */
  readonly encode = (w: MsgpackWriter, v: unknown): void => {
    switch (typeof v) {
      case 'string':
        return w.str(v);
      case 'number':
        return w.number(v);
      case 'boolean':
        return w.bool(v);
      case 'bigint':
        return w.bigint(v);
      case 'undefined':
        return w.nil();
      case 'object':
        break;
      default:
        throw new EncodeError(`no codec for a ${typeof v}`);
    }
    if (v === null) return w.nil();
    if (Array.isArray(v)) {
      w.arrayHeader(v.length);
      for (let i = 0; i < v.length; i++) this.encode(w, v[i]);
      return;
    }
    if (v instanceof Uint8Array) return w.bin(v);
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const keys = Object.keys(v);
      w.mapHeader(keys.length);
      for (const k of keys) {
        w.str(k);
        this.encode(w, (v as Record<string, unknown>)[k]);
      }
      return;
    }
    if (v instanceof Map) {
      w.mapHeader(v.size);
      for (const [k, val] of v) {
        if (typeof k === 'string') w.str(k);
        else if (typeof k === 'number' && Number.isSafeInteger(k)) w.int(k);
        else throw new EncodeError(`map keys must be str or int, got ${typeof k}`);
        this.encode(w, val);
      }
      return;
    }
    const entries = this.byType.get((v as object).constructor);
    if (entries) {
      for (const e of entries) {
        if (!e.codec.accepts || e.codec.accepts(v)) {
          w.raw(e.prefix);
          e.codec.encodePayload(w, v, this.encode);
          return;
        }
      }
    }
    const name = (v as object).constructor?.name ?? 'object';
    throw new EncodeError(`no codec for ${name}`);
  };

  /** Decodes a msgpack `args` map in bytes [start, end); offsets in errors are absolute. */
  decodeArgs(buf: Uint8Array, start: number, end: number, baseOffset = 0): DecodedArgs {
    let unknownTags = 0;
    const hook = (tag: string, payload: unknown): unknown => {
      const entry = this.byTag.get(tag);
      if (!entry) {
        unknownTags++;
        return new RawTagged(tag, payload);
      }
      try {
        return entry.codec.decodePayload(payload);
      } catch (e) {
        unknownTags++;
        return new RawTagged(tag, payload, (e as Error).message);
      }
    };
    const r = new MsgpackReader(buf, start, end, baseOffset, hook);
    const args = r.value();
    if (args === null || typeof args !== 'object' || Array.isArray(args) || args instanceof Uint8Array || args instanceof RawTagged)
      r.fail('record args is not a map', start);
    if (r.pos !== end) r.fail(`${end - r.pos} bytes after the args map`);
    const out = args instanceof Map ? (Object.fromEntries([...args].map(([k, v]) => [String(k), v])) as Record<string, unknown>) : (args as Record<string, unknown>);
    return { args: out, unknownTags };
  }
}

/** A registry with every tag in FORMAT.md. */
export function createDefaultRegistry(): CodecRegistry {
  return new CodecRegistry()
    .register(tupleCodec)
    .register(setCodec)
    .register(objectKeyCodec)
    .register(memoryLayoutDescCodec)
    .register(torchSizeCodec)
    .register(torchDtypeCodec)
    .register(trimPolicyCodec)
    .register(prefetchModeCodec)
    .register(attnWindowDescCodec)
    .register(prefetchRequestSpecCodec)
    .register(prefetchHandleCodec);
}
