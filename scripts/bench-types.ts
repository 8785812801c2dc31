/** What each area's bench module returns; scripts/bench.ts prints the tables and merges the JSON. */
export interface BenchSection {
  title: string;
  head: string[];
  rows: string[][];
  /** Keys for `npm run bench -- --json` (see the issues for the required names). */
  json: Record<string, number>;
  notes?: string[];
}

/** A bench module: `export async function run(): Promise<BenchSection[]>`. */
export type BenchModule = { run(): Promise<BenchSection[]> };
