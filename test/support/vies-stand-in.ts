import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the VIES REST service on loopback: `GET /ms/{CC}/vat/{number}` answers as VIES does, per
 * number: valid, invalid, a userError inside an HTTP 200, an HTTP 500, or too slowly. A script of answers per
 * number lets a test make VIES fail first and succeed later.
 */
export type ViesBehaviour = 'valid' | 'invalid' | 'slow' | 'http500' | string;

export interface ViesStandIn {
  url: string;
  /** Requests seen, as `CC/number?query`. */
  requests: string[];
  /** Answers for a number, used in order; the last one repeats. */
  script(number: string, ...behaviours: ViesBehaviour[]): void;
  close(): Promise<void>;
}

export async function startViesStandIn(slowMs = 2_000): Promise<ViesStandIn> {
  const scripts = new Map<string, ViesBehaviour[]>();
  const requests: string[] = [];
  let counter = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/ms\/([A-Z]{2})\/vat\/([^/]+)$/.exec(url.pathname);
    requests.push(`${match?.[1]}/${match?.[2]}${url.search}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!match) return send(404, { error: 'not found' });
    const script = scripts.get(match[2]) ?? ['invalid'];
    const behaviour = script.length > 1 ? script.shift()! : script[0];
    const requestDate = '2026-10-01T10:00:00.000Z';
    if (behaviour === 'slow') {
      const timer = setTimeout(() => send(200, { isValid: true, requestDate }), slowMs);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    if (behaviour === 'http500') return send(500, { errorWrappers: [{ error: 'SERVICE_UNAVAILABLE' }] });
    if (behaviour === 'valid') {
      counter++;
      return send(200, { isValid: true, requestDate, userError: 'VALID', name: 'BUYER GMBH', address: 'Street 1', requestIdentifier: `WAPIAAAAW${String(counter).padStart(6, '0')}` });
    }
    if (behaviour === 'invalid') return send(200, { isValid: false, requestDate, userError: 'INVALID', name: '---', address: '---' });
    return send(200, { isValid: false, requestDate, userError: behaviour, name: '---', address: '---' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (number, ...behaviours) => scripts.set(number, behaviours),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL where nothing listens (VIES down). */
export async function closedLoopbackUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
