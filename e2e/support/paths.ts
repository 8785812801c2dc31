import { fileURLToPath } from 'node:url';

/** Repository-relative locations shared by the Playwright config, the specs and the bench. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = `${ROOT}apps/inspector/dist`;
export const CACHE = `${ROOT}e2e/.cache`;
export const TRACES_DIR = `${CACHE}/traces`;
export const SCREENSHOTS = `${ROOT}e2e/screenshots`;
export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/lmcache/', import.meta.url));
export const SERVER_TS = `${ROOT}apps/server/src/server.ts`;
/**
 * The multi-million-row trace of the scrolling test: small records, generated fast. 3M calls by
 * default; KVTRACE_E2E_BIG_CALLS=10000000 runs the same test at 10M (issue 12), not in CI's time.
 */
export const BIG_RECORDS = Number(process.env.KVTRACE_E2E_BIG_CALLS ?? 3_000_000);
export const BIG_TRACE = `big-${BIG_RECORDS / 1e6}m.lct`;
