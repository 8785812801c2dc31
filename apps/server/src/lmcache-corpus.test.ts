/**
 * Traces the real server records, for the independent LMCache cross-check (tools/lmcache-check,
 * Python + msgspec, run by `npm test` after vitest): every route, every argument variant the API
 * takes, a rotated recording, and one killed with SIGKILL under load. They are written to
 * $KVTRACE_LCT_CORPUS when set (scripts/test-all.mjs sets it), else to a temp dir removed after.
 * Here they are read back with kvtrace's reader; the Python step judges them on its own.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalDtype, MemoryLayoutDesc, shortMethodName, TORCH_DTYPES, TraceReader } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { encodeFramed, OCTET } from './protocol/wire.ts';
import { KvClient, layoutOfKib, runWorkload } from './workload/index.ts';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const SERVER = join(ROOT, 'apps/server/src/server.ts');
const keep = process.env.KVTRACE_LCT_CORPUS;
const corpus = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'kvtrace-corpus-'));
mkdirSync(corpus, { recursive: true });
afterAll(() => {
  if (!keep) rmSync(corpus, { recursive: true, force: true });
});

function startServer(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, '--port', '0', '--traces-dir', corpus, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const url = new Promise<string>((res, rej) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => rej(new Error(`server exited:\n${out}`)));
  });
  return { child, url, exited, out: () => out };
}

async function readTrace(path: string) {
  const { header, records, report } = await new TraceReader(fileStream(path), { decodeArgs: true }).readAll();
  const methods: Record<string, number> = {};
  for (const r of records) methods[shortMethodName(r.qualname)] = (methods[shortMethodName(r.qualname)] ?? 0) + 1;
  return { header, records, report, methods };
}

const hex = (n: number, bytes = 8) => n.toString(16).padStart(bytes * 2, '0');
/** Keys in every form the API takes: defaults, explicit ranks and groups, salts up to 128 characters, non-ASCII text. */
const KEY_VARIANTS = [
  { chunk_hash: hex(1), model_name: 'Qwen/Qwen2.5-0.5B-Instruct' },
  { chunk_hash: hex(2, 32), model_name: 'meta-llama/Llama-3.1-8B', kv_rank: 0x04030201, object_group_id: 7, cache_salt: 'tenant-1' },
  { chunk_hash: hex(3), model_name: 'modèle-ü-\u{1F600}', kv_rank: 0xffffffff, object_group_id: 0x7fffffff, cache_salt: 'x'.repeat(127) + '\u{1F600}' },
  { chunk_hash: '', model_name: '', cache_salt: 'sél' },
];
const LAYOUTS = [
  { shapes: [[2, 4, 16, 1, 64]], dtypes: ['torch.bfloat16'] },
  { shapes: [[8, 64], [8, 64]], dtypes: ['torch.float16', 'torch.float8_e4m3fn'] },
  // Aliases are accepted and recorded under their canonical names.
  { shapes: [[1, 512]], dtypes: ['torch.half'] },
  { shapes: TORCH_DTYPES.map(() => [2]), dtypes: [...TORCH_DTYPES] },
];

describe('traces the real server records, for the LMCache cross-check', () => {
  it('every route with every argument variant', async () => {
    const s = startServer(['--trace-level', 'storage', '--trace-output', 'all-routes.lct', '--l2-dir', join(corpus, 'l2-a'), '--l1-size-gb', String((24 * 64 * 1024) / 2 ** 30)]);
    const url = await s.url;
    const c = new KvClient(url);
    const json = async (path: string, body: unknown, expectStatus = 200) => {
      const r = await fetch(`${url}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
      expect(r.status, `${path}: ${await r.clone().text()}`).toBe(expectStatus);
      return r.json() as Promise<Record<string, unknown>>;
    };
    const framed = async (path: string, meta: unknown, parts: Uint8Array[]) => {
      const r = await fetch(`${url}/v1/${path}`, { method: 'POST', headers: { 'content-type': OCTET, accept: 'application/json' }, body: encodeFramed(meta, parts) });
      expect(r.status, `${path}: ${await r.clone().text()}`).toBe(200);
      return r.json() as Promise<Record<string, unknown>>;
    };
    try {
      for (const layout of LAYOUTS) {
        const size = new MemoryLayoutDesc(layout.shapes, layout.dtypes.map((d) => canonicalDtype(d)!)).byteSize;
        for (const mode of ['new', 'update', 'all'] as const) {
          const r = await json('reserve_write', { keys: KEY_VARIANTS, layout, mode });
          const reserved = KEY_VARIANTS.filter((_, i) => (r.outcomes as string[])[i] === 'reserved');
          if (reserved.length > 0) {
            for (const meta of [{ keys: reserved }, { keys: reserved, sizes: reserved.map(() => size) }]) {
              const w = await framed('write_data', meta, reserved.map(() => new Uint8Array(size)));
              expect(w.written).toEqual(reserved.map(() => true));
            }
          }
          await json('finish_write', { keys: reserved });
        }
      }
      const layout = LAYOUTS[0]!;
      const objSize = 2 * 4 * 16 * 64 * 2;
      for (const policy of ['PREFIX', 'SEGMENTED_PREFIX', 'SPARSE'] as const)
        for (const prefetchMode of ['LOOKUP', 'WARM'] as const)
          for (const [extra, attn, skip, rid] of [[0, [-1], false, ''], [3, [-1, 4, 16], true, 'req-é-\u{1F600}']] as const) {
            const p = await json('submit_prefetch_task', { keys: KEY_VARIANTS, layout, extra_count: extra, external_request_id: rid, policy, attn_desc: attn, skip_l2: skip, mode: prefetchMode, wait: policy !== 'SPARSE' });
            const found = KEY_VARIANTS.filter((_, i) => (p.found as boolean[])[i]);
            // A read of found keys and one missing key (the scope's exit then releases), and the release.
            await json('read_prefetched_results', { keys: [...found, { chunk_hash: 'ff', model_name: 'absent' }] });
            if (prefetchMode === 'LOOKUP') await json('finish_read_prefetched', { keys: found, extra_count: extra });
          }
      await json('finish_read_prefetched', { keys: KEY_VARIANTS.slice(0, 1) });
      for (const mode of ['new', 'all'] as const) await framed('store', { keys: KEY_VARIANTS.slice(0, 2), layout, mode }, [new Uint8Array(objSize), new Uint8Array(objSize)]);
      for (const [policy, skip] of [['PREFIX', false], ['SPARSE', true]] as const) await json('retrieve', { keys: KEY_VARIANTS, layout, policy, skip_l2: skip, external_request_id: `ret-${policy}` });
      // Refused requests (what LMCache could not decode) leave nothing in the trace.
      await json('reserve_write', { keys: [{ chunk_hash: '01', model_name: 'org@model' }], layout, mode: 'new' }, 400);
      await json('reserve_write', { keys: [KEY_VARIANTS[0]], layout: { shapes: [[1]], dtypes: ['float16'] }, mode: 'new' }, 400);
      // The workload fills L1 past its size: evictions, L2 loads, named requests.
      await runWorkload({ url, requests: 40, concurrency: 4, layout: layoutOfKib(16), documents: 4 });
    } finally {
      c.close();
      s.child.kill('SIGTERM');
    }
    expect(await s.exited).toBe(0);
    const { header, records, report, methods } = await readTrace(join(corpus, 'all-routes.lct'));
    expect(header.digest_valid).toBe(true);
    expect(report).toMatchObject({ malformed: 0, truncated: null, argDecodeErrors: 0 });
    expect(Object.keys(methods).sort()).toEqual(['finish_read_prefetched', 'finish_write', 'read_prefetched_results.__enter__', 'read_prefetched_results.__exit__', 'reserve_write', 'submit_prefetch_task']);
    const dtypes = new Set(records.flatMap((r) => ((r.args().layout_desc as { dtypes?: string[] } | undefined)?.dtypes ?? [])));
    expect([...dtypes].sort()).toEqual([...TORCH_DTYPES].sort());
    expect(records.some((r) => r.args().external_request_id === 'req-1-0')).toBe(true);
  });

  it('a rotated recording killed with SIGKILL under load: every segment reads, only the last may end early', async () => {
    const s = startServer(['--trace-level', 'storage', '--trace-output', 'killed.lct', '--trace-max-mb', '0.25', '--l2-dir', 'none']);
    const url = await s.url;
    const stop = new AbortController();
    let enough!: () => void;
    const reached = new Promise<void>((r) => (enough = r));
    const load = runWorkload({ url, requests: 100_000, concurrency: 8, layout: layoutOfKib(1), signal: stop.signal, onRequestDone: (n) => n === 150 && enough() });
    await reached;
    // Wait on the server's own count until a rotation happened, then kill it mid-flight.
    for (;;) {
      const st = (await (await fetch(`${url}/v1/stats`)).json()) as { tracing: { segments: string[] } };
      if (st.tracing.segments.length >= 2) break;
    }
    s.child.kill('SIGKILL');
    await s.exited;
    stop.abort();
    await load;
    const names = readdirSync(corpus).filter((n) => n.startsWith('killed') && n.endsWith('.lct')).sort();
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names[names.length - 1]).toBe('killed.lct');
    for (const n of names) {
      const { report, records } = await readTrace(join(corpus, n));
      expect(report.malformed, n).toBe(0);
      expect(records.length, n).toBeGreaterThan(0);
    }
  });
});
