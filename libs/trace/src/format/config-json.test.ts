import { describe, expect, it } from 'vitest';
import { PyFloat, digestMatches, encodeConfig, pyFloatRepr, pythonJsonDumps } from './config-json.ts';
import { sha256Hex } from '../util/sha256.ts';
import { createHash } from 'node:crypto';
import fc from 'fast-check';

describe('Python-style config JSON and digest', () => {
  it('reproduces the config and digest LMCache wrote in the fixtures', () => {
    const cfg = {
      max_prefetch_workers: 4,
      l2_store_policy: 'write_back',
      l2_adapters: [{ type: 'fs', path: '/tmp/lmcache-l2' }],
      l1_use_lazy: true,
      l1_size_gb: new PyFloat(8),
      eviction_policy: 'LRU',
      chunk_size: 256,
    };
    const enc = encodeConfig(cfg);
    expect(enc.json).toBe(
      '{"chunk_size": 256, "eviction_policy": "LRU", "l1_size_gb": 8.0, "l1_use_lazy": true, "l2_adapters": [{"path": "/tmp/lmcache-l2", "type": "fs"}], "l2_store_policy": "write_back", "max_prefetch_workers": 4}',
    );
    expect(enc.digest).toBe('0e415de553707da13c75f9b1e1f203d8943f41643efd3b9bb07a9c2ff5db2a34');
    expect(digestMatches(enc.json, enc.digest)).toBe(true);
    expect(digestMatches(enc.json, 'ab' + enc.digest.slice(2))).toBe(false);
    expect(digestMatches('', '')).toBe(true);
  });

  it('escapes like json.dumps(ensure_ascii=True)', () => {
    expect(pythonJsonDumps({ 'ü': 'a"b\\c\n\u0001é😀' })).toBe('{"\\u00fc": "a\\"b\\\\c\\n\\u0001\\u00e9\\ud83d\\ude00"}');
  });

  it('writes floats as Python repr does', () => {
    const cases: [number, string][] = [
      [0.5, '0.5'], [8, '8.0'], [1e16, '1e+16'], [1.5e16, '1.5e+16'], [1e15, '1000000000000000.0'],
      [0.0001, '0.0001'], [0.00001, '1e-05'], [1.234e-7, '1.234e-07'], [-2.5, '-2.5'], [0, '0.0'], [123456.789, '123456.789'],
    ];
    for (const [x, s] of cases) expect(pyFloatRepr(x), String(x)).toBe(s);
  });

  it('the pure SHA-256 equals node:crypto (seeded)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
