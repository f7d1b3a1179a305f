import Mustache from 'mustache';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../src/app/config.ts';
import { MAIL_TEMPLATES, type MailTemplate } from '../../src/mail/outbox.ts';
import { createMailRenderer, MailRenderError } from '../../src/mail/templates.ts';

const config = testConfig({
  emailAppName: 'Acme ID',
  emailLogoUrl: 'https://cdn.example.com/logo.png',
  frontendUrl: 'https://app.example.com',
});
const renderer = createMailRenderer(config);
const TO = 'jane@example.com';

/** Data each template is given, and the links/words its mail must show. */
const CASES: Record<MailTemplate, { data: Record<string, unknown>; mustShow: string[] }> = {
  'registration-received': { data: { fullName: 'Jane Doe' }, mustShow: ['Jane Doe', 'approval'] },
  'password-reset': {
    data: { fullName: 'Jane Doe', resetUrl: 'https://app.example.com/reset-password?token=abc&x=1', expiresAt: '2026-03-01T13:00:00Z' },
    mustShow: ['https://app.example.com/reset-password?token=abc&x=1', '2026-03-01 13:00 UTC'],
  },
  'password-changed': { data: { fullName: 'Jane Doe' }, mustShow: ['https://app.example.com'] },
  'user-created': {
    data: { fullName: 'Jane Doe', setPasswordUrl: 'https://app.example.com/set-password?token=one-time' },
    mustShow: ['https://app.example.com/set-password?token=one-time', TO],
  },
  'account-approved': { data: { fullName: 'Jane Doe' }, mustShow: ['approved', 'https://app.example.com'] },
  'account-rejected': { data: { fullName: 'Jane Doe', reason: 'Unknown company' }, mustShow: ['not approved', 'Unknown company'] },
  'account-deactivated': { data: { fullName: 'Jane Doe' }, mustShow: ['deactivated'] },
  'account-deleted': { data: { fullName: 'Jane Doe' }, mustShow: ['deleted'] },
  'password-changed-by-admin': { data: { fullName: 'Jane Doe' }, mustShow: ['administrator'] },
  'email-changed': { data: { fullName: 'Jane Doe', newEmail: 'jane.new@example.com' }, mustShow: ['jane.new@example.com', TO, 'signed out'] },
  invitation: {
    data: {
      companyName: 'Globex',
      inviterName: 'Hank Scorpio',
      role: 'ADMIN',
      acceptUrl: 'https://app.example.com/invite/accept?token=inv',
      expiresAt: Date.parse('2026-03-08T12:00:00Z'),
    },
    mustShow: ['Globex', 'Hank Scorpio', 'ADMIN', 'https://app.example.com/invite/accept?token=inv', '2026-03-08 12:00 UTC'],
  },
  'magic-link': {
    data: { fullName: 'Jane Doe', loginUrl: 'https://app.example.com/magic-link?token=once', expiresAt: '2026-03-01T12:15:00Z' },
    mustShow: ['https://app.example.com/magic-link?token=once', '2026-03-01 12:15 UTC', 'Jane Doe'],
  },
};

describe('mail templates', () => {
  it.each(MAIL_TEMPLATES.map((t) => [t]))('%s renders subject, HTML and text with its data and the branding', (template) => {
    const { data, mustShow } = CASES[template];
    const mail = renderer.render(template, TO, data);

    expect(mail.subject.length).toBeGreaterThan(5);
    expect(mail.subject).not.toMatch(/[\r\n]|{{/);
    for (const part of [mail.html, mail.text]) expect(part).not.toContain('{{');
    expect(mail.html).toContain('<img src="https:&#x2F;&#x2F;cdn.example.com&#x2F;logo.png" alt="Acme ID"');
    expect(mail.text).toMatch(/^Acme ID\n/);
    for (const shown of mustShow) {
      expect(mail.text).toContain(shown);
      expect(mail.html).toContain(Mustache.escape(shown));
    }
    // Links are clickable in HTML.
    for (const url of Object.values(data).filter((v): v is string => typeof v === 'string' && v.startsWith('https://'))) {
      expect(mail.html).toContain(`href="${Mustache.escape(url)}"`);
    }
  });

  it('escapes every variable in HTML bodies and subjects stay plain text', () => {
    const hostile = '<script>alert("x")</script> & Co';
    const mail = renderer.render('invitation', TO, { ...CASES.invitation.data, companyName: hostile, inviterName: '<b>Eve</b>' });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>Eve</b>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2F;script&gt; &amp; Co');
    expect(mail.subject).toBe(`<b>Eve</b> invited you to join ${hostile} on Acme ID`);
    expect(mail.text).toContain(hostile);
  });

  it('shows the app name instead of a logo when no logo is configured, and greets without a name', () => {
    const plain = createMailRenderer(testConfig({ emailAppName: 'Plain' }));
    const mail = plain.render('account-approved', TO, {});
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('>Plain</div>');
    expect(mail.text).toContain('Hello,\n');
    expect(mail.subject).toBe('Your Plain account is approved');
  });

  it('refuses data that breaks a template contract', () => {
    expect(() => renderer.render('password-reset', TO, {})).toThrow(MailRenderError);
    expect(() => renderer.render('password-reset', TO, {})).toThrow(/data\.resetUrl/);
    expect(() => renderer.render('user-created', TO, { setPasswordUrl: 'javascript:alert(1)' })).toThrow(/http\(s\)/);
    expect(() => renderer.render('invitation', TO, { ...CASES.invitation.data, expiresAt: 'soon' })).toThrow(/expiresAt/);
    expect(() => renderer.render('no-such-template', TO, {})).toThrow(/unknown mail template/);
  });

  it('never puts a password in a welcome mail: keys outside the contract are dropped', () => {
    const mail = renderer.render('user-created', TO, { ...CASES['user-created'].data, password: 'hunter2-secret' });
    expect(mail.html + mail.text + mail.subject).not.toContain('hunter2-secret');
  });
});
