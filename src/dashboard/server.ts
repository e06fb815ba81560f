/**
 * The dashboard's web server (Node's http/https, no framework): the page and
 * its two plain files, the run as JSON (/api/state), and the same JSON pushed
 * whenever it changes (/api/events, server-sent events). Read-only: GET and
 * HEAD only; every path needs the token.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { PrivmedError } from '../common/errors.js';
import { formatAddress } from '../net/address.js';
import { checkBind, newToken, requestToken, tokenMatches } from './access.js';
import type { RunSnapshots } from './snapshot.js';

export interface DashboardOptions {
  host: string;
  port: number;
  snapshots: RunSnapshots;
  /** Certificate and key files (PEM): required for any bind off loopback. */
  tls?: { cert: string; key: string };
  /** Live mode: called on every coordinator event, to push at once. */
  subscribe?: (onChange: () => void) => () => void;
  /** How often the database is looked at for changes made by another process (ms). */
  pollMs?: number;
  /** For tests; by default a fresh random token. */
  token?: string;
}

export interface DashboardHandle {
  /** The address to open, token included. */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const ASSETS = new URL('./assets/', import.meta.url);
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // Nothing from elsewhere, no inline script; the charts are SVG markup built from escaped text.
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head = false): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

export async function startDashboard(o: DashboardOptions): Promise<DashboardHandle> {
  checkBind(o.host, o.tls !== undefined);
  const token = o.token ?? newToken();
  const clients = new Set<ServerResponse>();
  let last = '';
  let pending: NodeJS.Timeout | null = null;

  const current = (): string => JSON.stringify(o.snapshots.take());
  const push = () => {
    pending = null;
    if (clients.size === 0) return;
    let json: string;
    try {
      json = current();
    } catch (e) {
      json = JSON.stringify({ error: (e as Error).message });
    }
    if (json === last) return;
    last = json;
    for (const c of clients) c.write(`event: state\ndata: ${json}\n\n`);
  };
  // Events come in bursts (a round's results): one push per 200 ms at most.
  const schedule = () => {
    pending ??= setTimeout(push, 200);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (!tokenMatches(token, requestToken(req, url))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="privmed dashboard"');
      return send(res, 401, 'text/plain; charset=utf-8', 'privmed dashboard: the access token printed at start is required (Authorization: Bearer TOKEN or ?token=TOKEN)\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'the dashboard is read-only\n');
    const head = req.method === 'HEAD';
    const asset = FILES[url.pathname];
    if (asset) {
      let body = readFileSync(new URL(asset.file, ASSETS), 'utf8');
      // The page's own links carry the token on (a browser sends no header for <script src>).
      if (asset.file === 'index.html') body = body.replaceAll('{{token}}', encodeURIComponent(token));
      return send(res, 200, asset.type, body, head);
    }
    if (url.pathname === '/api/state') return send(res, 200, 'application/json; charset=utf-8', current(), head);
    if (url.pathname === '/api/events') {
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      if (head) return res.end();
      last = current();
      res.write(`retry: 2000\nevent: state\ndata: ${last}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  };

  const server: Server = o.tls ? createHttpsServer({ cert: readFileSync(o.tls.cert), key: readFileSync(o.tls.key) }, handle) : createHttpServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new PrivmedError(`the dashboard cannot listen on ${formatAddress(o)}: ${e.message}`, { cause: e })));
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const unsubscribe = o.subscribe?.(schedule);
  const poll = setInterval(schedule, o.pollMs ?? 2000);
  // Comments keep idle connections open through proxies and tell a closed browser apart.
  const keepAlive = setInterval(() => clients.forEach((c) => c.write(': keep-alive\n\n')), 15_000);
  const scheme = o.tls ? 'https' : 'http';
  return {
    url: `${scheme}://${formatAddress({ host: o.host, port })}/?token=${encodeURIComponent(token)}`,
    token,
    port,
    close: async () => {
      unsubscribe?.();
      clearInterval(poll);
      clearInterval(keepAlive);
      if (pending) clearTimeout(pending);
      for (const c of clients) c.end();
      clients.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      o.snapshots.close();
    },
  };
}
