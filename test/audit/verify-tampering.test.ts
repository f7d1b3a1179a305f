import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import type Database from 'better-sqlite3';
import { auditMessage, AUDIT_KEY_PURPOSE, type AuditEntry } from '../../src/audit/audit-log.ts';
import { deriveKey, readMasterKeyring } from '../../src/keys/master-key.ts';
import { cli } from '../support/cli.ts';
import { runKimauth } from '../support/processes.ts';
import { tamper, useChainTemplate } from './support/chain-fixture.ts';

// acme's chain: 1 tenant.created, 2 key.created, 3…32 test events.
const EVENTS = 30;
const LAST_SEQ = EVENTS + 2;

interface Row extends Omit<AuditEntry, 'hmac'> {
  hmac: string;
}

const SELECT_CHAIN = `SELECT tenant_id AS tenantId, seq, at, actor_type AS actorType, actor_id AS actorId, channel,
  event_type AS eventType, target_type AS targetType, target_id AS targetId, payload, key_id AS keyId,
  prev_hmac AS prevHmac, hmac FROM audit_entries WHERE tenant_id = ? ORDER BY seq`;

/** Re-signs the chain from `fromSeq` on with `key`, as someone holding (or guessing) an HMAC key would. */
function rechain(db: Database.Database, tenantId: string, key: Buffer, fromSeq = 1): void {
  const rows = db.prepare(SELECT_CHAIN).all(tenantId) as Row[];
  const update = db.prepare('UPDATE audit_entries SET prev_hmac = ?, hmac = ? WHERE tenant_id = ? AND seq = ?');
  let prev = fromSeq > 1 ? rows[fromSeq - 2].hmac : '0'.repeat(64);
  for (const row of rows.filter((r) => r.seq >= fromSeq)) {
    const hmac = createHmac('sha256', key).update(auditMessage({ ...row, prevHmac: prev })).digest('hex');
    update.run(prev, hmac, tenantId, row.seq);
    prev = hmac;
  }
}

describe('audit verify detects tampering of the database file', () => {
  const { fresh, verify } = useChainTemplate(EVENTS);
  const publishHeads = async (dataDir: string) => {
    const res = await cli(['--data-dir', dataDir, 'audit', 'heads', 'publish', '--tenant', 'acme']);
    expect(res.code, res.stderr).toBe(0);
    return path.join(dataDir, 'audit-heads', 'acme.jsonl');
  };

  it('passes an untouched chain with exit 0', async () => {
    const dataDir = fresh();
    await publishHeads(dataDir);
    const { code, report } = await verify(dataDir);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.tenants.find((t) => t.slug === 'acme')).toMatchObject({ entriesChecked: LAST_SEQ, headsChecked: 1, firstBreak: null });
  });

  it.each([
    ['a changed payload', 10, 'changed', (db: Database.Database, id: string) =>
      db.prepare(`UPDATE audit_entries SET payload = '{"n":999}' WHERE tenant_id = ? AND seq = 10`).run(id)],
    ['a changed actor', 12, 'changed', (db: Database.Database, id: string) =>
      db.prepare(`UPDATE audit_entries SET actor_id = 'mallory' WHERE tenant_id = ? AND seq = 12`).run(id)],
    ['an edited link', 13, 'changed', (db: Database.Database, id: string) =>
      db.prepare(`UPDATE audit_entries SET prev_hmac = ? WHERE tenant_id = ? AND seq = 13`).run('f'.repeat(64), id)],
    ['a deleted entry in the middle', 15, 'missing', (db: Database.Database, id: string) =>
      db.prepare('DELETE FROM audit_entries WHERE tenant_id = ? AND seq = 15').run(id)],
    ['a deleted entry with the rest renumbered', 15, 'missing', (db: Database.Database, id: string) => {
      db.prepare('DELETE FROM audit_entries WHERE tenant_id = ? AND seq = 15').run(id);
      for (let seq = 16; seq <= LAST_SEQ; seq++) db.prepare('UPDATE audit_entries SET seq = seq - 1 WHERE tenant_id = ? AND seq = ?').run(id, seq);
    }],
    ['two entries swapped', 20, 'reordered', (db: Database.Database, id: string) => {
      const move = db.prepare('UPDATE audit_entries SET seq = ? WHERE tenant_id = ? AND seq = ?');
      move.run(-1, id, 20);
      move.run(20, id, 21);
      move.run(21, id, -1);
    }],
    ['the whole chain rewritten with a different key', 1, 'changed', (db: Database.Database, id: string) =>
      rechain(db, id, randomBytes(32))],
  ] as const)('%s → exit 1 at seq %i (%s)', async (_name, seq, kind, change) => {
    const dataDir = fresh();
    tamper(dataDir, (db, id) => void change(db, id));
    const { code, report, stderr } = await verify(dataDir);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ slug: 'acme', seq, kind });
    expect(stderr).toMatch(new RegExp(`seq ${seq} \\(${kind}\\)`));
    // The other tenant's chain is untouched and still reported as holding.
    expect(report.tenants.find((t) => t.slug === 'master')?.ok).toBe(true);
  });

  it('says so when every entry fails: the chain was rewritten with another key', async () => {
    const dataDir = fresh();
    tamper(dataDir, (db, id) => rechain(db, id, randomBytes(32)));
    const { report } = await verify(dataDir);
    expect(report.firstBreak?.message).toMatch(/different key/);
    expect(report.tenants.find((t) => t.slug === 'acme')?.hmacFailures).toBe(LAST_SEQ);
  });

  it('detects the tail cut off after a head was published, from the stored heads or from an external heads file', async () => {
    const dataDir = fresh();
    const headsFile = await publishHeads(dataDir);
    const keptOutside = path.join(path.dirname(dataDir), 'kept-heads.jsonl');
    writeFileSync(keptOutside, readFileSync(headsFile));

    tamper(dataDir, (db, id) => db.prepare('DELETE FROM audit_entries WHERE tenant_id = ? AND seq > 25').run(id));
    const stored = await verify(dataDir);
    expect(stored.code).toBe(1);
    expect(stored.report.firstBreak).toMatchObject({ seq: 26, kind: 'truncated' });

    // An attacker who also deletes the stored heads (and the server's own file) is still caught by the copy kept elsewhere.
    tamper(dataDir, (db, id) => db.prepare('DELETE FROM audit_heads WHERE tenant_id = ?').run(id));
    writeFileSync(headsFile, '');
    expect((await verify(dataDir)).code).toBe(0);
    const external = await verify(dataDir, '--heads', keptOutside);
    expect(external.code).toBe(1);
    expect(external.report.firstBreak).toMatchObject({ seq: 26, kind: 'truncated' });
    expect(external.report.firstBreak?.message).toContain('kept-heads.jsonl');
  });

  it('detects a chain re-signed with the real key after a head was published, by the head', async () => {
    const dataDir = fresh();
    const headsFile = await publishHeads(dataDir);
    const ring = readMasterKeyring(path.join(dataDir, 'master.key'));
    tamper(dataDir, (db, id) => {
      db.prepare(`UPDATE audit_entries SET payload = '{"n":-1}' WHERE tenant_id = ? AND seq = 10`).run(id);
      rechain(db, id, deriveKey(ring, AUDIT_KEY_PURPOSE), 10);
      db.prepare('DELETE FROM audit_heads WHERE tenant_id = ?').run(id);
    });
    const { code, report } = await verify(dataDir, '--heads', headsFile);
    expect(code).toBe(1);
    expect(report.firstBreak).toMatchObject({ seq: LAST_SEQ, kind: 'changed' });
    expect(report.firstBreak?.message).toMatch(/rewritten after it/);
  });

  it('detects a forged head file: a head signed by another key, and a genuine head with an edited payload', async () => {
    const dataDir = fresh();
    const headsFile = await publishHeads(dataDir);
    const genuine = JSON.parse(readFileSync(headsFile, 'utf8').trim());

    // 1. Signed with the attacker's own key under the genuine kid.
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    await exportJWK(publicKey);
    const claims = { tenant: genuine.tenant, slug: 'acme', seq: 40, hmac: 'a'.repeat(64), publishedAt: genuine.publishedAt };
    const forgedJws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'RS256', kid: genuine.kid, typ: 'kimauth-audit-head+jws' })
      .sign(privateKey);
    const forgedFile = path.join(path.dirname(dataDir), 'forged.jsonl');
    writeFileSync(forgedFile, JSON.stringify({ ...genuine, ...claims, jws: forgedJws }) + '\n');
    const forged = await verify(dataDir, '--heads', forgedFile);
    expect(forged.code).toBe(1);
    expect(forged.report.firstBreak).toMatchObject({ seq: 40, kind: 'forged_head' });

    // 2. The genuine signature over an edited payload.
    const [header, , signature] = genuine.jws.split('.');
    const edited = Buffer.from(JSON.stringify({ ...claims, seq: 20 })).toString('base64url');
    writeFileSync(forgedFile, JSON.stringify({ ...genuine, seq: 20, jws: `${header}.${edited}.${signature}` }) + '\n');
    const editedRun = await verify(dataDir, '--heads', forgedFile);
    expect(editedRun.code).toBe(1);
    expect(editedRun.report.firstBreak).toMatchObject({ seq: 20, kind: 'forged_head' });

    // 3. Plain fields edited next to an untouched JWS.
    writeFileSync(forgedFile, JSON.stringify({ ...genuine, seq: 5 }) + '\n');
    expect((await verify(dataDir, '--heads', forgedFile)).report.firstBreak).toMatchObject({ seq: 5, kind: 'forged_head' });

    // The genuine file itself passes.
    expect((await verify(dataDir, '--heads', headsFile)).code).toBe(0);
  });

  it('exits 1 from a real child process on a tampered copy, 0 on the untouched one', async () => {
    const dataDir = fresh();
    const clean = await runKimauth(['--data-dir', dataDir, 'audit', 'verify']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/Every chain holds/);
    tamper(dataDir, (db, id) => db.prepare(`UPDATE audit_entries SET event_type = 'test.hidden' WHERE tenant_id = ? AND seq = 7`).run(id));
    const broken = await runKimauth(['--data-dir', dataDir, 'audit', 'verify', '--tenant', 'acme']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/First break: tenant acme, seq 7 \(changed\)/);
    expect(broken.stderr).toMatch(/audit chain broken/);
  });
});
