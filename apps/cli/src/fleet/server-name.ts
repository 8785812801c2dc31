/**
 * Server names: the `server` field of several traces read as one, the subfolder `collect` writes,
 * and a Hive partition value (`server=NAME`), so one spelling that is safe in all three.
 */

/** The file `collect` leaves in each server's subfolder: its name is then the server's name. */
export const COLLECT_MARKER = '.kvtrace-server.json';

export interface CollectMarker {
  server: string;
  url: string;
}

/** Letters, digits, `.`, `_` and `-` only (a path part and a partition value without escaping). */
export function sanitizeServerName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s.length > 0 ? s : '_';
}

/** A stable folder name for a server URL: `host-port` (`127.0.0.1-8080`, `node-3.lan-8080`). */
export function serverNameForUrl(url: URL): string {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return sanitizeServerName(`${host}-${port}`);
}
