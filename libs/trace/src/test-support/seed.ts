/** The one seed variable of the project's seeded tests: KVTRACE_SEED. */
export const SEED_VARIABLE = 'KVTRACE_SEED';

/**
 * The seed of a seeded test: KVTRACE_SEED when set (a failure is reproduced with the seed it
 * printed), otherwise a fresh one, printed with `label` so a failing run names it.
 */
export function testSeed(label: string, env: Readonly<Record<string, string | undefined>> = process.env): number {
  const given = env[SEED_VARIABLE];
  let seed: number;
  if (given !== undefined && given !== '') {
    seed = Number(given);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${SEED_VARIABLE} must be a non-negative integer, got ${JSON.stringify(given)}`);
  } else {
    seed = Date.now() % 2 ** 31;
  }
  console.log(`${label}: seed ${seed} (rerun with ${SEED_VARIABLE}=${seed})`);
  return seed;
}
