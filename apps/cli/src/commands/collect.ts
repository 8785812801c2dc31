import { parseArgs } from 'node:util';
import { collectTraces, type CollectedFile } from '../fleet/collect.ts';
import { formatBytes, Progress } from '../fleet/progress.ts';
import { complaints } from './complaints.ts';

export const summary = 'download the traces of several servers (GET /traces), resumable, one folder per server';

const HELP = `usage: npm run kvtrace -- collect --from URL[,URL...] --out DIR

Downloads every trace each server lists at URL/traces into DIR/<host>-<port>/ (one folder per
server; the commands that read traces name the server after it). Files are fetched into NAME.part
with Range requests, so an interrupted run continues where it stopped; each file's header is
checked before it is renamed to NAME; a file already there with the listed size is not fetched
again. A trace the server is still recording is fetched as far as it is committed (said so);
running collect again fetches the rest. Rotated segments (NAME.000001.lct, ...) are files like any.

options:
  --from URLS    server URLs, comma-separated or repeated (http:// is assumed when missing)
  --out DIR      where to put the traces (created if needed)
  -h, --help     this text
Then: npm run kvtrace -- info DIR ; export DIR --format parquet --out PQ ; sql "..." DIR
Exit status: 0 when every server was listed and every file fetched, 1 otherwise, 2 for bad usage.`;
const { usageError } = complaints('collect', HELP);

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: false, options: { from: { type: 'string', multiple: true }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (!values.from || values.from.length === 0) return usageError('--from is required (one or more server URLs)');
  if (!values.out) return usageError('--out is required (the folder to put the traces in)');
  const urls: URL[] = [];
  for (const raw of values.from.flatMap((f) => f.split(',')).map((s) => s.trim()).filter((s) => s !== '')) {
    const url = parseServerUrl(raw);
    if (typeof url === 'string') return usageError(url);
    urls.push(url);
  }
  if (urls.length === 0) return usageError('--from names no URL');

  const bar = new Progress('collect', 0);
  let total = 0;
  let done = 0;
  const line = (s: string) => {
    bar.clear();
    process.stderr.write(s + '\n');
  };
  let servers;
  try {
    servers = await collectTraces({
      urls,
      outDir: values.out,
      onEvent: (e) => {
        if (e.kind === 'listed') {
          total += e.bytes;
          bar.setTotal(total);
          if (!bar.enabled) line(`kvtrace collect: ${e.server}: ${e.files} trace file(s), ${formatBytes(e.bytes)} to fetch`);
        } else if (e.kind === 'bytes') {
          done += e.n;
          bar.update(done);
        } else if (!bar.enabled || e.file.status === 'failed' || e.file.live) line(`kvtrace collect: ${e.server}/${describe(e.file)}`);
      },
    });
  } catch (e) {
    bar.clear();
    return usageError((e as Error).message);
  }
  bar.clear();

  let failed = 0;
  for (const s of servers) {
    if (s.error) {
      failed++;
      process.stderr.write(`kvtrace collect: ${s.url}: ${s.error}\n`);
      continue;
    }
    const by = (st: CollectedFile['status']) => s.files.filter((f) => f.status === st).length;
    const bad = by('failed');
    failed += bad;
    const live = s.files.filter((f) => f.live && f.status !== 'failed' && f.status !== 'skipped').length;
    process.stdout.write(
      `${s.server} (${s.url}): ${s.files.length} file(s) in ${s.dir}: ${by('downloaded')} downloaded, ${by('resumed')} resumed, ${by('up to date')} up to date` +
        `${by('skipped') ? `, ${by('skipped')} skipped` : ''}${bad ? `, ${bad} FAILED` : ''}; ${formatBytes(s.files.reduce((n, f) => n + f.fetched, 0))} fetched` +
        `${live ? `; ${live} still recording (fetched as committed so far)` : ''}\n`,
    );
  }
  return failed > 0 ? 1 : 0;
}

function describe(f: CollectedFile): string {
  return `${f.name}: ${f.status}${f.fetched ? ` (${formatBytes(f.fetched)})` : ''}${f.reason ? `: ${f.reason}` : ''}`;
}

/** `host:port`, `http://host:port/`, `https://...`; anything else is a usage error naming the value. */
export function parseServerUrl(raw: string): URL | string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return `--from: ${JSON.stringify(raw)} is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `--from: ${JSON.stringify(raw)}: only http and https servers can be collected from`;
  if (url.search || url.hash) return `--from: ${JSON.stringify(raw)}: give the server's base URL, without ? or #`;
  return url;
}
