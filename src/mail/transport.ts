import { AppError } from '../app/errors.ts';
import type { Config } from '../app/config.ts';

export interface MailAddress {
  name: string;
  address: string;
}

export interface OutgoingMessage {
  from: string | MailAddress;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** `<outbox-id@kimauth>`: lets a receiver recognise a message it has already seen. */
  messageId: string;
}

/** Where the outbox worker hands messages. SMTP in production; tests point the same SMTP code at loopback. */
export interface MailTransport {
  send(message: OutgoingMessage): Promise<void>;
  /** Closes open connections; a later send opens new ones. The worker calls it at the end of each drain. */
  close(): void;
}

/** Short socket timeouts keep one send well inside the worker's claim lease (see outbox-worker.ts). */
export const SMTP_TIMEOUTS_MS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 };

type SmtpConnection = import('nodemailer').Transporter;

/**
 * The one place kimauth builds a nodemailer transport (the outbox worker's sends, doctor's check). nodemailer loads
 * on first use, so commands that never send mail do not pay for it at start.
 */
async function connectSmtp(smtpUrl: string, options: { pooled: boolean; timeoutsMs: typeof SMTP_TIMEOUTS_MS }): Promise<SmtpConnection> {
  const nodemailer = (await import('nodemailer')).default;
  return nodemailer.createTransport({ url: smtpUrl, ...(options.pooled ? { pool: true, maxConnections: 1 } : {}), ...options.timeoutsMs });
}

/**
 * SMTP through nodemailer from KIMAUTH_SMTP_URL (`smtp://user:pass@host:587`, `smtps://…:465`; nodemailer's
 * query options such as `?requireTLS=true` apply). A drain reuses one connection for all its messages
 * (connect, TLS and AUTH once: on loopback 25 ms a message instead of 110 ms) and closes it at the end, so
 * nothing stays open between drains.
 */
export function createSmtpTransport(smtpUrl: string): MailTransport {
  let connection: Promise<SmtpConnection> | undefined;
  return {
    async send(message) {
      connection ??= connectSmtp(smtpUrl, { pooled: true, timeoutsMs: SMTP_TIMEOUTS_MS });
      await (await connection).sendMail(message);
    },
    close() {
      const closing = connection;
      connection = undefined;
      void closing?.then((c) => c.close(), () => undefined);
    },
  };
}

/** With mail off (KIMAUTH_EMAIL_ENABLED=false or no KIMAUTH_SMTP_URL) nothing is queued, and nothing can be sent. */
export function mailOffTransport(): MailTransport {
  return {
    async send() {
      throw new AppError('service_unavailable', 'Email is disabled: set KIMAUTH_EMAIL_ENABLED=true and KIMAUTH_SMTP_URL');
    },
    close: () => undefined,
  };
}

/** What `deps.mailTransport` is unless a caller (a test, a later relay) injects its own. */
export function mailTransportFor(config: Pick<Config, 'emailEnabled' | 'smtpUrl'>): MailTransport {
  return config.emailEnabled && config.smtpUrl ? createSmtpTransport(config.smtpUrl) : mailOffTransport();
}

/**
 * Connects to the SMTP server, greets it and logs in when the URL has credentials, then hangs up: `kimauth doctor`
 * asks this before any mail is sent. Throws what the server or the network said.
 */
export async function verifySmtpServer(smtpUrl: string, timeoutMs: number): Promise<void> {
  const connection = await connectSmtp(smtpUrl, {
    pooled: false,
    timeoutsMs: { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs },
  });
  try {
    await connection.verify();
  } finally {
    connection.close();
  }
}
