import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createMailOutboxWorker } from '../../src/mail/outbox-worker.ts';
import { createSmtpTransport } from '../../src/mail/transport.ts';
import { openMailData } from '../../src/mail/outbox.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const FRONTEND = 'https://app.example.test';
const TOKEN_IN_LINK = /\/(reset-password|set-password|accept-invitation)\?token=([A-Za-z0-9_-]{20,})/;

/**
 * Issue 9 §3: "only the hash is stored" must be true of the files. Reset, set-password and invitation links go
 * through a file-backed instance and a real SMTP server on loopback; every file of the data dir (db, -wal, -shm) is
 * searched for each token while queued, after delivery, and after a checkpoint.
 */
describe('e2e: one-time tokens are not readable from the data dir', () => {
  let sink: SmtpSink;
  let t: TestInstance;
  let app: App;
  let dataDir: string;
  const tokens = new Map<string, string>();

  const dataDirFiles = () => readdirSync(dataDir).filter((f) => f.startsWith('kimauth.db'));
  const filesHolding = (needle: string) =>
    dataDirFiles().filter((f) => {
      const bytes = readFileSync(path.join(dataDir, f));
      return bytes.includes(Buffer.from(needle)) || bytes.includes(Buffer.from(needle, 'utf16le'));
    });

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await createTestInstance({ file: true, config: { emailEnabled: true, smtpUrl: sink.url, frontendUrl: FRONTEND } });
    dataDir = t.deps.config.dataDir;
    app = await buildServer(t.deps);
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, accountType: '' } });
    const authorization = `Bearer ${login.json().data.accessToken}`;
    const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);

    for (const [what, request] of [
      ['reset', { method: 'POST', url: '/auth/password-reset/request', payload: { email: ADMIN_EMAIL, accountType: '' } }],
      ['set-password', { method: 'POST', url: '/internal/users', payload: { email: 'new@example.com', fullName: 'New User' }, headers: { authorization } }],
      ['invitation', { method: 'POST', url: '/auth/invitations', payload: { email: 'invitee@example.com', role: 'SUBMITTER' }, headers: { authorization, 'x-org': acme.id } }],
    ] as const) {
      const res = await app.inject(request as never);
      expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(300);
    }
    await t.deps.background.idle();
    // The links as queued, read the way the worker reads them.
    const queued = t.deps.sqlite.prepare("SELECT id, data FROM mail_outbox WHERE status = 'pending'").all() as Array<{ id: string; data: string }>;
    for (const row of queued) {
      const match = TOKEN_IN_LINK.exec(JSON.stringify(openMailData(t.deps, row.id, row.data)));
      if (match) tokens.set(match[1], match[2]);
    }
  });
  afterAll(async () => {
    await app?.close();
    t?.close();
    await sink?.stop();
  });

  it('queues a reset, a set-password and an invitation link', () => {
    expect([...tokens.keys()].sort()).toEqual(['accept-invitation', 'reset-password', 'set-password']);
    expect(t.deps.sqlite.pragma('secure_delete', { simple: true })).toBe(1);
    expect(dataDirFiles()).toEqual(expect.arrayContaining(['kimauth.db', 'kimauth.db-wal', 'kimauth.db-shm']));
  });

  it('holds no token in any file while the mail is queued', () => {
    for (const [kind, token] of tokens) expect({ kind, files: filesHolding(token) }).toEqual({ kind, files: [] });
  });

  it('holds none after delivery through a real SMTP server, nor after a checkpoint', async () => {
    expect(await createMailOutboxWorker(t.deps, createSmtpTransport(sink.url)).drain()).toMatchObject({ sent: 3, failed: 0 });
    const delivered = sink.messages.map((m) => TOKEN_IN_LINK.exec(m.text)?.[2]).filter(Boolean);
    expect(delivered.sort()).toEqual([...tokens.values()].sort());
    for (const [kind, token] of tokens) expect({ kind, files: filesHolding(token) }).toEqual({ kind, files: [] });

    t.deps.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    for (const [kind, token] of tokens) expect({ kind, files: filesHolding(token) }).toEqual({ kind, files: [] });
  });

  it('the delivered links still work', async () => {
    const reset = await app.inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token: tokens.get('reset-password'), newPassword: 'brand-new-password' } });
    expect(reset.statusCode).toBe(200);
    const set = await app.inject({ method: 'POST', url: '/auth/set-password', payload: { token: tokens.get('set-password'), newPassword: 'brand-new-password' } });
    expect(set.statusCode).toBe(200);
  });
});
