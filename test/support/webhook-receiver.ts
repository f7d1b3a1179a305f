import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A webhook receiver on loopback, as an integrator would run one: it records every POST (headers and raw body) and
 * answers 204, or `failWith` while set. `stop()` closes the port (the receiver is down: connection refused) and
 * `start()` opens the same port again.
 */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Opens the port again (a no-op while running). */
  /** Answer every request with this status while set (e.g. 503); null = 204. */
  failWith: number | null;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hooks/kimauth'): Promise<WebhookReceiver> {
  let server: Server | undefined;
  let port = 0;
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    failWith: null,
    async start() {
      if (server) return;
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          receiver.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          res.writeHead(receiver.failWith ?? 204, { connection: 'close' });
          res.end();
        });
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', resolve);
      });
      port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${port}${path}`;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await receiver.start();
  return receiver;
}
