import nodemailer from 'nodemailer';

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

/**
 * SMTP through nodemailer from KIMAUTH_SMTP_URL (`smtp://user:pass@host:587`, `smtps://…:465`; nodemailer's
 * query options such as `?requireTLS=true` apply). A drain reuses one connection for all its messages
 * (connect, TLS and AUTH once: on loopback 25 ms a message instead of 110 ms) and closes it at the end, so
 * nothing stays open between drains.
 */
export function createSmtpTransport(smtpUrl: string): MailTransport {
  let connection: ReturnType<typeof nodemailer.createTransport> | undefined;
  return {
    async send(message) {
      connection ??= nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 1, ...SMTP_TIMEOUTS_MS });
      await connection.sendMail(message);
    },
    close() {
      connection?.close();
      connection = undefined;
    },
  };
}
