import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * JSON in and out over one kept-alive connection, one request at a time (a replay's calls reach
 * the server in trace order). node:http rather than fetch: measured on this machine against the
 * kvtrace server, a small POST took ~0.3-1.0 ms this way and ~0.9-2.7 ms through fetch (its
 * WHATWG streams), which bounded `replay --url`.
 */
export class JsonHttpClient {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(readonly base: URL) {
    const https = base.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.send = https ? httpsRequest : httpRequest;
  }

  /** A Uint8Array body is sent as octet-stream, anything else as JSON. A non-2xx answer throws with the server's message. */
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = body instanceof Uint8Array ? 'application/octet-stream' : 'application/json';
      headers['content-length'] = payload.byteLength;
    }
    return new Promise<unknown>((resolve, reject) => {
      const req = this.send(url, { method, agent: this.agent, headers }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return reject(new Error(`HTTP ${status} from ${url.pathname}: ${serverMessage(text).slice(0, 300)}`));
          try {
            resolve(text === '' ? null : (JSON.parse(text) as unknown));
          } catch (e) {
            reject(new Error(`${url.pathname} answered with something that is not JSON: ${(e as Error).message}`));
          }
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function serverMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text; // not JSON: the text itself
  }
}
