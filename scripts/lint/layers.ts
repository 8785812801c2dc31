/**
 * The architecture, as data: which layer may import which. Every production file belongs to
 * exactly one layer (the longest matching path wins) and may import only its own layer and the
 * layers listed in `may` (an allowlist: a new edge is a decision, made here, with the READMEs).
 * Packages of the workspace are reached only through their `exports`; an import of one resolves to
 * the file its export names, so the same rules hold across packages (e.g. the CLI may use the
 * server's storage, not its routes).
 *
 * Test code (`*.test.ts(x)`, `test-support/`, `bench/`) may use anything inside its own package and
 * other packages' exports, but not another package's internals, and libs/trace's tests not the apps.
 */

export interface Layer {
  name: string;
  /** Repository-relative paths: a folder ends with '/', anything else is one file. */
  paths: string[];
  may: string[];
  /** npm packages it may import besides the workspace's (node: builtins are 'node:*'). */
  packages?: string[];
}

const TRACE_ENTRY = 'trace';
const TRACE_NODE = 'trace/node';

export const LAYERS: readonly Layer[] = [
  // libs/trace: the format's facts (spec.ts) at the bottom, then the model of trace data, the
  // bytes (format/), codecs, reading and recording, analysis on top.
  { name: 'trace/spec', paths: ['libs/trace/src/format/spec.ts'], may: [] },
  { name: 'trace/util', paths: ['libs/trace/src/util/'], may: [] },
  { name: 'trace/model', paths: ['libs/trace/src/model.ts'], may: ['trace/spec'] },
  { name: 'trace/format', paths: ['libs/trace/src/format/'], may: ['trace/spec', 'trace/util', 'trace/model'] },
  { name: 'trace/codec', paths: ['libs/trace/src/codec/'], may: ['trace/spec', 'trace/format', 'trace/util', 'trace/model'] },
  { name: 'trace/validate', paths: ['libs/trace/src/validate/'], may: ['trace/spec', 'trace/format', 'trace/util', 'trace/model'] },
  { name: 'trace/read', paths: ['libs/trace/src/read/'], may: ['trace/codec', 'trace/spec', 'trace/format', 'trace/util', 'trace/model'] },
  { name: 'trace/publish', paths: ['libs/trace/src/publish/'], may: ['trace/spec', 'trace/format', 'trace/util', 'trace/model'] },
  {
    name: 'trace/record',
    paths: ['libs/trace/src/record/'],
    may: ['trace/publish', 'trace/validate', 'trace/codec', 'trace/spec', 'trace/format', 'trace/util', 'trace/model'],
    packages: ['node:*'],
  },
  { name: 'trace/analyze', paths: ['libs/trace/src/analyze/'], may: ['trace/read', 'trace/codec', 'trace/spec', 'trace/format', 'trace/util', 'trace/model'] },
  {
    name: TRACE_ENTRY,
    paths: ['libs/trace/src/index.ts'],
    may: ['trace/util', 'trace/model', 'trace/spec', 'trace/format', 'trace/codec', 'trace/validate', 'trace/read', 'trace/publish', 'trace/record', 'trace/analyze'],
  },
  { name: TRACE_NODE, paths: ['libs/trace/src/node.ts'], may: ['trace/record', 'trace/read', 'trace/spec', 'trace/format'], packages: ['node:*'] },

  // apps/server: storage knows nothing of HTTP; routes sit on services and storage; app wires them.
  { name: 'server/errors', paths: ['apps/server/src/errors.ts'], may: [] },
  { name: 'server/ensure-dir', paths: ['apps/server/src/ensure-dir.ts'], may: [], packages: ['node:*'] },
  { name: 'server/storage', paths: ['apps/server/src/storage/'], may: ['server/ensure-dir', TRACE_ENTRY], packages: ['node:*'] },
  { name: 'server/protocol', paths: ['apps/server/src/protocol/'], may: [TRACE_ENTRY] },
  { name: 'server/workload', paths: ['apps/server/src/workload/'], may: ['server/protocol', 'server/storage', TRACE_ENTRY], packages: ['node:*'] },
  { name: 'server/services', paths: ['apps/server/src/services/'], may: ['server/errors', TRACE_ENTRY, TRACE_NODE], packages: ['node:*'] },
  {
    name: 'server/routes',
    paths: ['apps/server/src/routes/'],
    may: ['server/errors', 'server/protocol', 'server/services', 'server/storage', TRACE_ENTRY, TRACE_NODE],
    packages: ['node:*', 'fastify', '@fastify/static', '@fastify/helmet'],
  },
  {
    name: 'server/app',
    paths: ['apps/server/src/app.ts', 'apps/server/src/graceful-close.ts'],
    may: ['server/errors', 'server/ensure-dir', 'server/routes', 'server/services', 'server/storage', TRACE_ENTRY, TRACE_NODE],
    packages: ['node:*', 'fastify', '@fastify/helmet'],
  },
  { name: 'server/flags', paths: ['apps/server/src/flags.ts'], may: ['server/storage', TRACE_ENTRY], packages: ['node:*'] },
  {
    name: 'server/main',
    paths: ['apps/server/src/server.ts'],
    may: ['server/app', 'server/flags', 'server/services', 'server/workload', TRACE_ENTRY, TRACE_NODE],
    packages: ['node:*', 'fastify'],
  },

  // apps/cli: commands parse flags and call the feature folders; features never import commands.
  { name: 'cli/format', paths: ['apps/cli/src/format/'], may: [] },
  { name: 'cli/export', paths: ['apps/cli/src/export/'], may: ['cli/format', TRACE_ENTRY], packages: ['node:*'] },
  { name: 'cli/replay', paths: ['apps/cli/src/replay/'], may: ['cli/format', TRACE_ENTRY, TRACE_NODE, 'server/storage', 'server/protocol'], packages: ['node:*'] },
  {
    name: 'cli/fleet',
    paths: ['apps/cli/src/fleet/'],
    may: ['cli/export', 'cli/format', 'cli/replay', TRACE_ENTRY, TRACE_NODE],
    packages: ['node:*', '@duckdb/node-api'],
  },
  { name: 'cli/analyze', paths: ['apps/cli/src/analyze/'], may: ['cli/fleet', 'cli/format', TRACE_ENTRY], packages: ['node:*'] },
  {
    name: 'cli/commands',
    paths: ['apps/cli/src/commands/'],
    may: ['cli/analyze', 'cli/export', 'cli/fleet', 'cli/format', 'cli/replay', TRACE_ENTRY, TRACE_NODE, 'server/storage', 'server/workload', 'server/app'],
    packages: ['node:*'],
  },
  { name: 'cli/main', paths: ['apps/cli/src/main.ts'], may: ['cli/commands'], packages: ['node:*'] },

  // apps/inspector: model (no React, no DOM) ← load (the worker and its host) ← views (React).
  { name: 'inspector/model', paths: ['apps/inspector/src/model/'], may: [TRACE_ENTRY] },
  { name: 'inspector/load', paths: ['apps/inspector/src/load/'], may: ['inspector/model', TRACE_ENTRY] },
  { name: 'inspector/facade', paths: ['apps/inspector/src/inspector.ts'], may: ['inspector/load', 'inspector/model', TRACE_ENTRY] },
  {
    name: 'inspector/views',
    paths: ['apps/inspector/src/views/'],
    may: ['inspector/facade', 'inspector/model', TRACE_ENTRY],
    packages: ['react', 'react-dom'],
  },
  { name: 'inspector/main', paths: ['apps/inspector/src/main.tsx'], may: ['inspector/facade', 'inspector/views'], packages: ['react', 'react-dom'] },
];

/** Workspace packages by folder, and which other workspace packages each may depend on at all (tests included). */
export const PACKAGES: readonly { dir: string; may: string[] }[] = [
  { dir: 'libs/trace', may: [] },
  { dir: 'apps/server', may: ['libs/trace'] },
  { dir: 'apps/cli', may: ['libs/trace', 'apps/server'] },
  { dir: 'apps/inspector', may: ['libs/trace'] },
];

/** Bundles that run in a browser: nothing they reach at runtime may import a Node builtin. */
export const BROWSER_ROOTS: readonly string[] = ['libs/trace/src/index.ts', 'apps/inspector/src/main.tsx', 'apps/inspector/src/load/worker.ts', 'apps/inspector/src/load/shard-worker.ts'];

/** Test code: free inside its own package (see the header). */
export const isTestCode = (file: string): boolean => /\.test\.tsx?$/.test(file) || /\/test-support(\/|\.tsx?$)/.test(file) || file.includes('/bench/');

/** Folders the checks read (everything that is TypeScript and ours). */
export const SCANNED = ['libs', 'apps', 'e2e', 'scripts', 'playwright.config.ts', 'vitest.config.ts'];
