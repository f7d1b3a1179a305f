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
  close(): void;
}

/** Short socket timeouts keep one send well inside the worker's claim lease (see outbox-worker.ts). */
export const SMTP_TIMEOUTS_MS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 };

/**
 * SMTP through nodemailer from KIMAUTH_SMTP_URL (`smtp://user:pass@host:587`, `smtps://…:465`; nodemailer's
 * query options such as `?requireTLS=true` apply). One connection per message, so nothing stays open between
 * drains.
 */
export function createSmtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS_MS });
  return {
    async send(message) {
      await transporter.sendMail(message);
    },
    close() {
      transporter.close();
    },
  };
}
