import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import type { VerifyReport } from '../../../src/audit/verify.ts';
import { loadConfig } from '../../../src/app/config.ts';
import { buildDeps, type Deps } from '../../../src/app/deps.ts';
import { getTenant } from '../../../src/tenants/tenants.ts';
import { cli } from '../../support/cli.ts';
import { tempDir } from '../../support/deps.ts';

export const ACTORS = [
  { type: 'user', id: 'u-alice', channel: 'http' },
  { type: 'operator', id: 'bob', channel: 'cli' },
  { type: 'system', id: 'cleanup', channel: 'job' },
] as const;

/** Opens the instance in a data dir the way a command does (its own master.key, its own database file). */
export function openInstance(dataDir: string): Deps {
  return buildDeps({ config: loadConfig({ flags: { dataDir }, env: {} }) });
}

/** Appends `count` test events to a tenant's chain, in batches of one transaction each. */
export function appendEvents(deps: Deps, tenantSlug: string, count: number, batch = 1_000): void {
  const tenantId = getTenant(deps, tenantSlug).id;
  for (let done = 0; done < count; done += batch) {
    deps.sqlite.transaction(() => {
      for (let i = done; i < Math.min(count, done + batch); i++) {
        deps.audit.append(tenantId, {
          actor: ACTORS[i % ACTORS.length],
          type: i % 2 ? 'test.updated' : 'test.created',
          target: { type: 'thing', id: `t-${i}` },
          payload: { n: i, note: 'fixture' },
        });
      }
    })();
  }
}

/** An initialised data dir with tenant `acme`; copies of it are cheap, init (argon2, RSA) is not. */
export async function createTemplateDataDir(events: number): Promise<{ dataDir: string; remove(): void }> {
  const dir = tempDir('kimauth-audit-');
  const dataDir = path.join(dir.path, 'data');
  const init = await cli(['--data-dir', dataDir, 'init', '--yes']);
  if (init.code !== 0) throw new Error(init.stderr);
  const tenant = await cli(['--data-dir', dataDir, 'tenants', 'create', '--slug', 'acme', '--name', 'Acme']);
  if (tenant.code !== 0) throw new Error(tenant.stderr);
  const deps = openInstance(dataDir);
  try {
    // `tenants create` publishes the tenant's first head; these tests count only the heads they publish themselves.
    deps.sqlite.exec('DELETE FROM audit_heads');
    rmSync(path.join(dataDir, 'audit-heads'), { recursive: true, force: true });
    appendEvents(deps, 'acme', events);
    // Fold the WAL into the main file so a plain copy of the directory is complete.
    deps.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    deps.close();
  }
  return { dataDir, remove: dir.remove };
}

export function copyDataDir(template: string): { dataDir: string; remove(): void } {
  const dir = tempDir('kimauth-audit-copy-');
  const dataDir = path.join(dir.path, 'data');
  cpSync(template, dataDir, { recursive: true });
  return { dataDir, remove: dir.remove };
}

/** Raw SQL on the database file, as an attacker with file access would do it. */
export function tamper<T>(dataDir: string, fn: (db: Database.Database, acmeId: string) => T): T {
  const db = new Database(path.join(dataDir, 'kimauth.db'));
  try {
    const acmeId = db.prepare("SELECT id FROM tenants WHERE slug = 'acme'").pluck().get() as string;
    return fn(db, acmeId);
  } finally {
    db.close();
  }
}

/**
 * For a describe block: one template data dir with `events` entries built before the tests, a `fresh()` copy
 * per test (tampering never leaks between tests), and `verify()` running the real `audit verify --json`.
 */
export function useChainTemplate(events: number) {
  let template: { dataDir: string; remove(): void };
  const copies: Array<{ remove(): void }> = [];
  beforeAll(async () => {
    template = await createTemplateDataDir(events);
  });
  afterAll(() => {
    copies.forEach((c) => c.remove());
    template.remove();
  });
  return {
    fresh(): string {
      const copy = copyDataDir(template.dataDir);
      copies.push(copy);
      return copy.dataDir;
    },
    async verify(dataDir: string, ...extra: string[]) {
      const res = await cli(['--data-dir', dataDir, 'audit', 'verify', '--json', ...extra]);
      return { ...res, report: res.json<VerifyReport>() };
    },
  };
}
