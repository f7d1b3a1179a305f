import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import { verifyAuditChains } from '../../src/audit/verify.ts';
import { getTenant } from '../../src/tenants/tenants.ts';
import { cli } from '../support/cli.ts';
import { appendEvents, openInstance, tamper, useChainTemplate } from './support/chain-fixture.ts';

describe('audit verify on a large chain and across a master-key rotation', () => {
  const { fresh, verify } = useChainTemplate(10_000);

  it('verifies an untouched chain of 10,000 entries with exit 0 and counts every entry', async () => {
    const dataDir = fresh();
    const { code, report, stdout } = await verify(dataDir, '--tenant', 'acme');
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, entriesChecked: 10_002, headsChecked: 0, firstBreak: null });
    // --json prints one document and no progress.
    expect(() => JSON.parse(stdout)).not.toThrow();
  });

  it('keeps old entries verifiable after keys rotate-master, and re-encrypts the signing keys under the new key', async () => {
    const dataDir = fresh();
    const before = JSON.parse(readFileSync(path.join(dataDir, 'master.key'), 'utf8'));
    expect((await cli(['--data-dir', dataDir, 'audit', 'heads', 'publish'])).code).toBe(0);
    // A process that was already running (a `serve`) holds the old ring in memory.
    const running = openInstance(dataDir);

    const rotated = await cli(['--data-dir', dataDir, 'keys', 'rotate-master', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const result = rotated.json<{ previousKeyId: string; currentKeyId: string; reencryptedKeys: number; keyIds: string[] }>();
    expect(result.previousKeyId).toBe(before.current);
    expect(result.currentKeyId).not.toBe(before.current);
    expect(result.reencryptedKeys).toBe(2);

    const after = JSON.parse(readFileSync(path.join(dataDir, 'master.key'), 'utf8'));
    expect(after.current).toBe(result.currentKeyId);
    expect(Object.keys(after.keys).sort()).toEqual([before.current, result.currentKeyId].sort());
    expect(after.keys[before.current]).toBe(before.keys[before.current]);
    // No temp file left behind by the atomic write.
    expect(readdirSync(dataDir).filter((f) => f.includes('.tmp'))).toEqual([]);

    // New entries (and the rotation's own entry) are HMAC-ed under the new key; old ones keep the old key_id.
    const deps = openInstance(dataDir);
    try {
      appendEvents(deps, 'acme', 50);
      const keyIds = deps.sqlite.prepare('SELECT key_id, count(*) AS n FROM audit_entries GROUP BY key_id').all() as Array<{ key_id: string; n: number }>;
      expect(new Set(keyIds.map((k) => k.key_id))).toEqual(new Set([before.current, result.currentKeyId]));
      const rotation = deps.sqlite.prepare("SELECT key_id FROM audit_entries WHERE event_type = 'master_key.rotated'").pluck().get();
      expect(rotation).toBe(result.currentKeyId);
      const masterIds = deps.sqlite.prepare('SELECT DISTINCT master_key_id FROM signing_keys').pluck().all();
      expect(masterIds).toEqual([result.currentKeyId]);
      // The re-encrypted private key still signs tokens its public key verifies.
      const acme = getTenant(deps, 'acme');
      const key = deps.keyring.active(acme.id);
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
      const { protectedHeader } = await jwtVerify(token, createLocalJWKSet(deps.keyring.jwks(acme.id)));
      expect(protectedHeader.kid).toBe(key.kid);
    } finally {
      deps.close();
    }
    // The running process picks the new master key up from master.key when it meets a key encrypted under it.
    try {
      running.keyring.invalidate();
      const acmeKey = running.keyring.active(getTenant(running, 'acme').id);
      expect(acmeKey.kid).toBe(running.keyring.jwks(getTenant(running, 'acme').id).keys[0].kid);
      expect(acmeKey.privateKey.asymmetricKeyType).toBe('rsa');
    } finally {
      running.close();
    }
    expect((await cli(['--data-dir', dataDir, 'audit', 'heads', 'publish'])).code).toBe(0);

    const ok = await verify(dataDir);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.report.entriesChecked).toBeGreaterThan(10_050);
    expect(ok.report.headsChecked).toBe(4);

    // Tampering with an entry HMAC-ed under the old key is still detected after the rotation.
    tamper(dataDir, (db, id) => db.prepare(`UPDATE audit_entries SET payload = '{}' WHERE tenant_id = ? AND seq = 500`).run(id));
    const broken = await verify(dataDir);
    expect(broken.code).toBe(1);
    expect(broken.report.firstBreak).toMatchObject({ slug: 'acme', seq: 500, kind: 'changed' });
  });

  it('finds the same break when HMACs are computed in a worker thread', async () => {
    const dataDir = fresh();
    tamper(dataDir, (db, id) => db.prepare(`UPDATE audit_entries SET at = at + 1 WHERE tenant_id = ? AND seq = 7777`).run(id));
    const deps = openInstance(dataDir);
    try {
      const acme = getTenant(deps, 'acme');
      const report = await verifyAuditChains(deps, { tenantIds: [acme.id], useWorker: true });
      expect(report).toMatchObject({ ok: false, entriesChecked: 10_002, firstBreak: { seq: 7777, kind: 'changed' } });
      expect(report.tenants[0]).toMatchObject({ hmacFailures: 1, linkFailures: 0 });
      const master = await verifyAuditChains(deps, { tenantIds: [deps.platformTenantId()], useWorker: true });
      expect(master.ok).toBe(true);
    } finally {
      deps.close();
    }
  });

  it('reports an entry whose master key is not in master.key as changed', async () => {
    const dataDir = fresh();
    tamper(dataDir, (db, id) => db.prepare(`UPDATE audit_entries SET key_id = 'ffffffffffffffff' WHERE tenant_id = ? AND seq = 3`).run(id));
    const { code, report } = await verify(dataDir);
    expect(code).toBe(1);
    expect(report.firstBreak).toMatchObject({ seq: 3, kind: 'changed' });
  });
});

describe('HMAC batch checkers', () => {
  it('agree, in a worker thread and inline, on which lines do not match', async () => {
    const { createHmac, randomBytes } = await import('node:crypto');
    const { inlineHmacChecker, workerHmacChecker } = await import('../../src/audit/hmac-checker.ts');
    const keys = [randomBytes(32), randomBytes(32)];
    const messages = ['["a",1,"{\\"x\\":\\"tab\\\\there\\"}"]', '["é ü 😀",2]', '["plain",3]', '["x",4]'];
    const lines = messages.map((m, i) => {
      const keyIndex = i % 2;
      const hmac = createHmac('sha256', keys[keyIndex]).update(m).digest('hex');
      return `${keyIndex}\t${i === 1 ? hmac.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) : hmac}\t${i === 3 ? `${m} ` : m}`;
    });
    const worker = workerHmacChecker(keys);
    try {
      expect(await worker.check(lines)).toEqual([1, 3]);
      expect(await worker.check(lines.slice(2, 3))).toEqual([]);
    } finally {
      await worker.close();
    }
    expect(await inlineHmacChecker(keys).check(lines)).toEqual([1, 3]);
  });
});
