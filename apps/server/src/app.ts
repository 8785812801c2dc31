import { createReadStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { setupTracing, type TracingSession } from '@kvtrace/trace/node';
import { ensureWritableDir } from './ensure-dir.ts';
import { FieldError, HttpError } from './errors.ts';
import { inspectorBuilt, inspectorRoutes, isApiPath } from './routes/inspector.ts';
import { receiveChunks } from './routes/receive-chunks.ts';
import { helmetOptions } from './routes/security.ts';
import { tracesRoutes } from './routes/traces.ts';
import { v1Routes } from './routes/v1.ts';
import { DEFAULT_CLOSE_BOUNDS, installGracefulClose, type CloseBounds } from './graceful-close.ts';
import { hostAllowlist } from './services/host-allowlist.ts';
import { TraceDirectory } from './services/trace-directory.ts';
import { tracingStatus } from './services/tracing-status.ts';
import { createStorageManager, StorageError, storageConfigJson, traceStorageManager, type StorageConfig, type StorageManager } from './storage/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    storage: StorageManager;
    /** The recording session, or null when tracing is off. */
    tracing: TracingSession | null;
    traces: TraceDirectory;
  }
}

export const DEFAULT_INSPECTOR_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../inspector/dist');

export interface AppOptions {
  storage: StorageConfig;
  /**
   * Record the storage manager's calls to this file (level `storage`); null or absent: tracing off.
   * `maxSegmentBytes` rotates it (NAME.000001.lct, ...) before a file would pass that size.
   */
  tracing?: { path: string; queueSize?: number; maxSegmentBytes?: number } | null;
  tracesDir: string;
  inspectorDist?: string;
  /** Largest KV body (and object) accepted, and largest framed answer sent, bytes. */
  bodyLimit?: number;
  /**
   * Host header allowlist (DNS-rebinding defence): the listen address and these names; IP
   * literals and localhost names are always allowed. Default: listening on 127.0.0.1, no names.
   */
  hosts?: { listen: string; allowed?: readonly string[] };
  /** Where state changes of the recording are said (disk full, recovered, file deleted): one line each. */
  notice?: (message: string) => void;
  logger?: FastifyServerOptions['logger'];
  /** How long a close waits for API calls, then for open downloads and follow streams (graceful-close.ts). */
  closeBounds?: CloseBounds;
}

const STORAGE_STATUS: Record<StorageError['code'], number> = { bad_argument: 400, size_mismatch: 400, not_reserved: 409, closed: 503 };

/**
 * Builds the server: services (storage manager, tracing session, traces directory) as decorators
 * closed in onClose, routes as encapsulated plugins, one error handler. Call `close()` to shut it
 * down: in-flight calls finish, the recorder is drained and fsynced, followers read the file to its
 * end, then L2 is flushed.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? 256 * 2 ** 20;
  // maxParamLength: trace names are up to 255 characters, and percent-encoding may triple them.
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 16 * 2 ** 20, forceCloseConnections: 'idle', routerOptions: { maxParamLength: 3 * 255 } });
  const notice = options.notice ?? ((m: string) => app.log.warn(m));

  ensureWritableDir(options.tracesDir, '--traces-dir');
  const sm = createStorageManager(options.storage);
  let tracing: TracingSession | null = null;
  try {
    if (options.tracing) {
      const path = resolve(options.tracing.path);
      ensureWritableDir(dirname(path), '--trace-output directory');
      try {
        tracing = setupTracing({
          path,
          config: storageConfigJson(options.storage),
          queueSize: options.tracing.queueSize,
          maxSegmentBytes: options.tracing.maxSegmentBytes,
          onNotice: (m) => notice(`trace: ${m}`),
        });
      } catch (e) {
        throw new Error(`cannot record the trace ${path}: ${(e as Error).message}`, { cause: e });
      }
      traceStorageManager(sm, tracing);
    }
  } catch (e) {
    await sm.close();
    throw e;
  }
  const session = tracing;
  const traces = new TraceDirectory(
    options.tracesDir,
    session && {
      segments: () => session.sink.segments,
      currentPath: () => session.sink.currentPath,
      committedBytes: () => session.sink.committedBytes,
      isRecording: () => session.recorder.verify() !== 'closed',
      summary: () => {
        const s = tracingStatus(session);
        return { records_written: s.records_written, dropped_total: s.dropped_total, state: s.state, problem: s.problem };
      },
    },
  );
  app.decorate('storage', sm);
  app.decorate('tracing', tracing);
  app.decorate('traces', traces);
  installGracefulClose(app, {
    bounds: options.closeBounds ?? DEFAULT_CLOSE_BOUNDS,
    closeRecording: () => session?.close(),
    endFollows: () => traces.closing.abort(),
    notice,
  });
  app.addHook('onClose', async () => {
    session?.close();
    await sm.close();
  });

  const hostCheck = hostAllowlist(options.hosts ?? { listen: '127.0.0.1' });
  app.addHook('onRequest', async (req) => {
    const refused = hostCheck(req.headers.host);
    if (refused !== null) throw new HttpError(403, refused);
  });
  // helmet is a fastify-plugin: registered here, its headers go on every answer, errors included.
  await app.register(fastifyHelmet, helmetOptions(options.inspectorDist ?? DEFAULT_INSPECTOR_DIST));

  // Fastify parses text/plain by default; the API takes JSON or framed bytes only, so a text body
  // gets the documented 415, not a 400 from a schema that sees a string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(['application/octet-stream'], (req, stream, done) => receiveChunks(req.headers['content-length'], stream, bodyLimit, done));

  app.setErrorHandler((err: FastifyError | HttpError | StorageError | Error, req, reply) => {
    if ('validation' in err && err.validation) return reply.code(400).send({ error: 'Bad Request', message: err.message });
    if (err instanceof FieldError) return reply.code(400).send({ error: 'Bad Request', message: err.message, field: err.field, rule: err.rule });
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: httpText(err.statusCode), message: err.message });
    if (err instanceof StorageError) {
      const code = STORAGE_STATUS[err.code];
      return reply.code(code).send({ error: httpText(code), code: err.code, message: err.message });
    }
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status === 415)
      return reply.code(415).send({ error: httpText(415), message: `content type ${JSON.stringify(req.headers['content-type'] ?? '')} is not accepted: send application/json, or application/octet-stream (framed) for KV bytes` });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: httpText(status), message: err.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'Internal Server Error', message: 'internal error (see the server log)' });
  });

  const dist = options.inspectorDist ?? DEFAULT_INSPECTOR_DIST;
  const spa = inspectorBuilt(dist);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (spa && (req.method === 'GET' || req.method === 'HEAD') && !isApiPath(path)) return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(createReadStream(join(dist, 'index.html')));
    return reply.code(404).send({ error: 'Not Found', message: `no route ${req.method} ${path}` });
  });

  await app.register(v1Routes, { prefix: '/v1', maxObjectBytes: bodyLimit, maxResponseBytes: bodyLimit });
  await app.register(tracesRoutes, { prefix: '/traces' });
  await app.register(inspectorRoutes, { dist });
  return app;
}

const HTTP_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

function httpText(status: number): string {
  return HTTP_TEXT[status] ?? (status < 500 ? 'Client Error' : 'Server Error');
}
