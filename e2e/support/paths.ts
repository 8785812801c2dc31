import { fileURLToPath } from 'node:url';

/** Repository-relative locations shared by the Playwright config, the specs and the bench. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = `${ROOT}apps/inspector/dist`;
export const CACHE = `${ROOT}e2e/.cache`;
export const TRACES_DIR = `${CACHE}/traces`;
export const SCREENSHOTS = `${ROOT}e2e/screenshots`;
export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/lmcache/', import.meta.url));
export const SERVER_TS = `${ROOT}apps/server/src/server.ts`;
/** The multi-million-row trace of the scrolling test: small records, generated fast. */
export const BIG_TRACE = 'big-3m.lct';
export const BIG_RECORDS = 3_000_000;
