import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TORCH_DTYPES } from '../format/spec.ts';
import { AttnWindowDesc, EnumMember, MemoryLayoutDesc, ObjectKey, PrefetchHandle, PrefetchRequestSpec, RawTagged, TorchDtype, TrimPolicy, Tuple } from '../model.ts';
import { canonicalDtype, dtypeViolation } from './dtypes.ts';
import { argsViolation, lmcacheViolation } from './lmcache-violation.ts';
import { objectKeyViolation } from './object-key.ts';
import { unicodeViolation } from './unicode.ts';
import { violationMessage } from './violation.ts';
import { testSeed } from '../test-support/seed.ts';

const SEED = testSeed('validate property tests');

const key = (model = 'm', group = 0, salt = '') => new ObjectKey(new Uint8Array([1, 2]), model, 0, group, salt);
const layout = (...dtypes: string[]) => new MemoryLayoutDesc(dtypes.map(() => [2]), dtypes);

describe('dtypes', () => {
  it('accepts exactly the 46 canonical torch 2.13 names', () => {
    expect(TORCH_DTYPES).toHaveLength(46);
    for (const d of TORCH_DTYPES) expect(dtypeViolation(d, 'd'), d).toBeNull();
  });

  it('refuses aliases, naming the canonical dtype to use', () => {
    expect(violationMessage(dtypeViolation('torch.half', 'layout.dtypes[0]')!)).toBe(
      'layout.dtypes[0]: "torch.half" is an alias: LMCache decodes only canonical dtype names, here "torch.float16"',
    );
    expect(dtypeViolation('torch.float', 'd')!.rule).toMatch(/"torch.float32"/);
    expect(dtypeViolation('torch.long', 'd')!.rule).toMatch(/"torch.int64"/);
  });

  it('refuses names that are not torch dtypes, with a hint where one is close', () => {
    expect(dtypeViolation('float16', 'd')!.rule).toMatch(/did you mean "torch.float16"/);
    expect(dtypeViolation('not_a_dtype', 'd')!.rule).toMatch(/not a torch dtype name LMCache decodes/);
    expect(dtypeViolation('constructor', 'd')).not.toBeNull();
  });

  it('canonicalDtype maps aliases to canonical names and nothing else', () => {
    expect(canonicalDtype('torch.half')).toBe('torch.float16');
    expect(canonicalDtype('torch.cdouble')).toBe('torch.complex128');
    expect(canonicalDtype('torch.bfloat16')).toBe('torch.bfloat16');
    expect(canonicalDtype('float16')).toBeNull();
    expect(canonicalDtype('toString')).toBeNull();
  });
});

describe('ObjectKey invariants, as LMCache checks them', () => {
  const cases: [string, ObjectKey, string | null][] = [
    ['a plain key', key('Qwen/Qwen2.5-0.5B', 3, 'tenant-1'), null],
    ['@ in model_name', key('org@model'), 'k.model_name: contains "@"'],
    ['negative object_group_id', key('m', -1), 'k.object_group_id: is -1'],
    ['@ in cache_salt', key('m', 0, 'a@b'), 'k.cache_salt: contains "@"'],
    ['/ in cache_salt', key('m', 0, 'team/a'), 'k.cache_salt: contains "/"'],
    ['\\ in cache_salt', key('m', 0, 'a\\b'), 'k.cache_salt: contains "\\\\"'],
    ['NUL in cache_salt', key('m', 0, 'a\0b'), 'k.cache_salt: contains NUL'],
    ['a 128-character salt', key('m', 0, 'x'.repeat(128)), null],
    ['a 129-character salt', key('m', 0, 'x'.repeat(129)), 'k.cache_salt: is 129 characters'],
    ['128 astral characters (Python counts code points)', key('m', 0, '\u{1F600}'.repeat(128)), null],
    ['a 200-character salt', key('m', 0, 's'.repeat(200)), 'k.cache_salt: is 200 characters'],
    ['a lone high surrogate in model_name', key('m\ud800'), 'k.model_name: is not valid Unicode: a lone surrogate \\ud800 at index 1'],
    ['a lone low surrogate in cache_salt', key('m', 0, 's\udc00'), 'k.cache_salt: is not valid Unicode'],
    ['a surrogate pair is valid', key('m\ud83d\ude00'), null],
  ];
  for (const [name, k, expected] of cases) {
    it(name, () => {
      const v = objectKeyViolation(k, 'k');
      if (expected === null) expect(v).toBeNull();
      else expect(violationMessage(v!)).toContain(expected);
    });
  }
});

describe('unicode', () => {
  it('finds a lone surrogate exactly when the string is not well formed (seeded)', () => {
    const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
    fc.assert(
      // UTF-16 code units, half of them near the surrogate range.
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd7f0, max: 0xe010 })), { maxLength: 16 }), (units) => {
        const t = String.fromCharCode(...units);
        return (unicodeViolation(t, 'x') === null) === wellFormed(t);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('lmcacheViolation walks any argument value', () => {
  it('finds the first bad part with its path, through arrays, tuples, maps and struct codecs', () => {
    expect(argsViolation(['keys', 'layout_desc', 'mode'], [[key(), key('a@b')], layout('torch.float16'), 'new'])).toEqual({
      path: 'keys[1].model_name',
      rule: expect.stringMatching(/"@"/),
    });
    expect(argsViolation(['keys', 'layout_desc'], [[key()], layout('torch.float16', 'torch.half')])!.path).toBe('layout_desc.dtypes[1]');
    // Keys sharing model and salt are judged once per run, but each group id still is.
    expect(argsViolation(['keys'], [[key('m', 1, 's'), key('m', 2, 's'), key('m', -1, 's')]])!.path).toBe('keys[2].object_group_id');
    expect(argsViolation(['keys'], [[key('m', 0, 's'), key('m', 0, 's'), key('m', 0, 's/')]])!.path).toBe('keys[2].cache_salt');
    const spec = new PrefetchRequestSpec([key(), key('m', -2)], layout('torch.bfloat16'));
    expect(lmcacheViolation(spec, 'spec')!.path).toBe('spec.keys[1].object_group_id');
    expect(lmcacheViolation(new Tuple(['ok', new TorchDtype('torch.half')]), 't')!.path).toBe('t[1]');
    expect(lmcacheViolation({ outer: { inner: ['x', 'y\udc00'] } }, 'a')!.path).toBe('a.outer.inner[1]');
    expect(lmcacheViolation(new Map<unknown, unknown>([[1, new Set(['\ud800'])]]), 'm')!.path).toBe('m.1[0]');
    expect(lmcacheViolation(new PrefetchHandle(-1, 'r\ud800', [], 0, 0, []), 'h')!.path).toBe('h.external_request_id');
    expect(lmcacheViolation(new EnumMember('TrimPolicy', 'SUFFIX'), 'p')!.rule).toMatch(/not a TrimPolicy member/);
  });

  it('accepts what LMCache decodes, and does not judge tags it does not know', () => {
    const spec = new PrefetchRequestSpec([key()], layout('torch.bfloat16'), 1, TrimPolicy.SPARSE, new AttnWindowDesc([-1, 4]));
    expect(argsViolation(['a', 'b', 'c', 'd', 'e', 'f'], [[key(), key('m', 2, 'salt')], layout(...TORCH_DTYPES), spec, 1.5, null, new Uint8Array(3)])).toBeNull();
    expect(lmcacheViolation(new RawTagged('torch.half', '\ud800'))).toBeNull();
  });
});
