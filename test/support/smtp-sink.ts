import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelopeTo: string[];
  envelopeFrom: string | null;
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`: stays the same across stop()/start(). */
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Closes the port: connections are refused until start() again. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A real SMTP server on loopback (no TLS, no auth) that parses and keeps what it receives. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const createServer = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (parsed) => {
            messages.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
            });
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });

  let server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  let running = true;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    async stop() {
      if (!running) return;
      running = false;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async start() {
      if (running) return;
      server = createServer();
      server.listen(port, '127.0.0.1');
      await once(server.server, 'listening');
      running = true;
    },
  };
}
