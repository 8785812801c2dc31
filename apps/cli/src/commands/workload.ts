import { parseArgs } from 'node:util';
import { layoutOfKib, runWorkload, summaryRows } from '@kvtrace/server/workload';
import { formatTable } from '../format/table.ts';

export const summary = 'run simulated inference traffic (stores and loads) against a kvtrace server';

const HELP = `usage: npm run kvtrace -- workload --url URL [--requests N] [--concurrency C] [options]

Simulated inference traffic against a running server (npm start): each request looks its prompt's
chunks up (POST /v1/retrieve: L1 hits, L2 loads) and stores the chunks after the hit prefix
(POST /v1/store). Prompts are 4-64 chunks: a shared prefix picked by Zipf popularity plus chunks of
their own; some are later turns of earlier prompts. Prints a summary table.

  --url URL          server address (default http://127.0.0.1:8080)
  --requests N       requests to send (default 300)
  --concurrency C    requests in flight (default 4)
  --chunk-kb K       KiB per chunk object (default 64)
  --documents D      distinct shared prefixes (default 64)
  --seed S           traffic seed (default 1)
  --verify           check every retrieved byte against what was stored
  --json             print the result as JSON instead of a table
Exit status: 0 when no request failed, 1 otherwise.`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:8080' },
        requests: { type: 'string', default: '300' },
        concurrency: { type: 'string', default: '4' },
        'chunk-kb': { type: 'string', default: '64' },
        documents: { type: 'string', default: '64' },
        seed: { type: 'string', default: '1' },
        verify: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`kvtrace workload: ${(e as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const int = (name: string, raw: string, min: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  let opts;
  try {
    const url = new URL(values.url).toString();
    opts = {
      url,
      requests: int('requests', values.requests, 1),
      concurrency: int('concurrency', values.concurrency, 1),
      layout: layoutOfKib(int('chunk-kb', values['chunk-kb'], 1)),
      documents: int('documents', values.documents, 1),
      seed: int('seed', values.seed, 0),
      verify: values.verify ?? false,
    };
  } catch (e) {
    process.stderr.write(`kvtrace workload: ${(e as Error).message}\n`);
    return 2;
  }
  const r = await runWorkload(opts);
  if (values.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    process.stdout.write(`workload against ${opts.url}: ${opts.requests} requests, concurrency ${opts.concurrency}\n`);
    process.stdout.write(formatTable(['metric', 'value'], summaryRows(r), { indent: 2, align: ['l', 'r'] }) + '\n');
  }
  if (r.requests === 0 && r.errors > 0) process.stderr.write(`kvtrace workload: every request failed: ${r.firstError}\n`);
  return r.errors === 0 && r.corrupt === 0 ? 0 : 1;
}
