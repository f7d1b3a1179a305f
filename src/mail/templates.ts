import Mustache from 'mustache';
import { z } from 'zod';
import type { Config } from '../app/config.ts';
import { readAsset } from '../app/assets.ts';
import { MAIL_TEMPLATES, type MailTemplate } from './outbox.ts';

/**
 * What each template needs in `enqueueMail({ template, to, data })`. The renderer adds `appName`, `logoUrl`,
 * `frontendUrl` (from config) and `email` (the recipient) to every view; keys not listed are dropped.
 *
 * | template                  | data (? = optional)                                                      |
 * |---------------------------|--------------------------------------------------------------------------|
 * | registration-received     | fullName?                                                                |
 * | password-reset            | resetUrl (`{frontendUrl}/reset-password?token=…`), expiresAt?, fullName? |
 * | password-changed          | fullName?                                                                |
 * | user-created              | setPasswordUrl (one-time link; never a password), expiresAt?, fullName?  |
 * | account-approved          | fullName?, loginUrl? (default: frontendUrl)                              |
 * | account-rejected          | fullName?, reason?                                                       |
 * | account-deactivated       | fullName?, reason?                                                       |
 * | account-deleted           | fullName?                                                                |
 * | password-changed-by-admin | fullName? (sent to the address the account had before the change)        |
 * | email-changed             | newEmail, fullName? (sent to the old address)                            |
 * | invitation                | companyName, inviterName, role, acceptUrl, expiresAt                     |
 * | magic-link                | loginUrl (`{frontendUrl}/magic-link?token=…`), expiresAt?, fullName?     |
 *
 * Links must be http(s) URLs. `expiresAt` is an ISO 8601 string, a Date (serialised to ISO by the outbox) or
 * epoch milliseconds; it is shown as `2026-03-08 12:00 UTC`.
 */
const link = z
  .string()
  .url()
  .refine((value) => /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL');
const moment = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date or epoch milliseconds' });
    return z.NEVER;
  }
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
});
const text = z.string().max(500);
const fullName = text.optional();

export const MAIL_DATA_SCHEMAS = {
  'registration-received': z.object({ fullName }),
  'password-reset': z.object({ fullName, resetUrl: link, expiresAt: moment.optional() }),
  'password-changed': z.object({ fullName }),
  'user-created': z.object({ fullName, setPasswordUrl: link, expiresAt: moment.optional() }),
  'account-approved': z.object({ fullName, loginUrl: link.optional() }),
  'account-rejected': z.object({ fullName, reason: text.optional() }),
  'account-deactivated': z.object({ fullName, reason: text.optional() }),
  'account-deleted': z.object({ fullName }),
  'password-changed-by-admin': z.object({ fullName }),
  'email-changed': z.object({ fullName, newEmail: z.string().email().max(254) }),
  invitation: z.object({ companyName: text, inviterName: text, role: text, acceptUrl: link, expiresAt: moment }),
  'magic-link': z.object({ fullName, loginUrl: link, expiresAt: moment.optional() }),
} satisfies Record<MailTemplate, z.ZodType>;

export type MailDataSchemas = typeof MAIL_DATA_SCHEMAS;

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** A message that can never render (unknown template, data breaking its contract); retrying will not help. */
export class MailRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailRenderError';
  }
}

export interface MailRenderer {
  render(template: string, to: string, data: Record<string, unknown>): RenderedMail;
}

type Branding = Pick<Config, 'emailAppName' | 'emailLogoUrl' | 'frontendUrl'>;

const keepAsIs = (value: unknown) => String(value);

/**
 * Renders templates/email/<name>/{subject.txt,body.html,body.txt} inside templates/email/layout.{html,txt}.
 * Mustache escapes every `{{variable}}` in the HTML parts; subjects and text bodies are rendered unescaped
 * (they are not HTML). Template files are read once per renderer, through readAsset so the binary embeds them.
 */
export function createMailRenderer(branding: Branding, read: (path: string) => string = readAsset): MailRenderer {
  const files = new Map<string, string>();
  const file = (relative: string) => {
    let content = files.get(relative);
    if (content === undefined) {
      content = read(`templates/email/${relative}`);
      files.set(relative, content);
    }
    return content;
  };

  return {
    render(template, to, data) {
      if (!(MAIL_TEMPLATES as readonly string[]).includes(template)) {
        throw new MailRenderError(`unknown mail template "${template}"`);
      }
      const parsed = MAIL_DATA_SCHEMAS[template as MailTemplate].safeParse(data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new MailRenderError(`mail ${template}: data.${issue?.path.join('.') || '?'} ${issue?.message ?? 'is invalid'}`);
      }
      const view: Record<string, unknown> = {
        appName: branding.emailAppName,
        logoUrl: branding.emailLogoUrl,
        frontendUrl: branding.frontendUrl,
        email: to,
        loginUrl: branding.frontendUrl,
        ...Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined)),
      };
      // A subject is one header line: no line breaks, whatever the data holds.
      const subject = Mustache.render(file(`${template}/subject.txt`), view, {}, { escape: keepAsIs })
        .replace(/\s+/g, ' ')
        .trim();
      const htmlContent = Mustache.render(file(`${template}/body.html`), view);
      const textContent = Mustache.render(file(`${template}/body.txt`), view, {}, { escape: keepAsIs }).trim();
      return {
        subject,
        html: Mustache.render(file('layout.html'), { ...view, subject, content: htmlContent }),
        text: Mustache.render(file('layout.txt'), { ...view, content: textContent }, {}, { escape: keepAsIs }),
      };
    },
  };
}
