import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testConfig, type ConfigOverrides } from '../../src/app/config.ts';
import { fixedClock, type FixedClock } from '../../src/app/clock.ts';
import { buildDeps, type Deps } from '../../src/app/deps.ts';
import { bootstrapPlatform } from '../../src/app/instance.ts';
import { generateMasterKeyring, type MasterKeyring } from '../../src/keys/master-key.ts';
import { findTenant } from '../../src/tenants/tenants.ts';
import { findUserByEmail } from '../../src/identity/users.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-1';
export const TEST_ACTOR = { type: 'operator', id: 'test', channel: 'cli' } as const;
export const TEST_EPOCH = '2026-03-01T12:00:00Z';

export interface TestInstance {
  deps: Deps;
  clock: FixedClock;
  master: TenantRow;
  admin: UserRow;
  close(): void;
}

/**
 * RSA key generation and argon2 make a fresh bootstrap cost ~0.4 s; every test instance instead starts from
 * one bootstrapped image per test process (same master key, same platform key, same admin), cloned.
 */
let template: Promise<{ image: Buffer; masterKeys: MasterKeyring }> | undefined;

function bootstrappedImage() {
  template ??= freshImage();
  return template;
}

async function freshImage(): Promise<{ image: Buffer; masterKeys: MasterKeyring }> {
  const masterKeys = generateMasterKeyring();
  const deps = buildDeps({
    config: testConfig({ dataDir: tmpdir() }),
    clock: fixedClock(TEST_EPOCH),
    masterKeys,
    databaseFile: ':memory:',
    migrate: true,
  });
  try {
    await bootstrapPlatform(deps, { adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD, actor: TEST_ACTOR });
    return { image: deps.sqlite.serialize(), masterKeys };
  } finally {
    deps.close();
  }
}

/**
 * A real instance on SQLite (in memory, or a temp file with `file: true`), migrated and bootstrapped, with a
 * fixed clock. The same services as production; nothing mocked.
 */
export async function createTestInstance(
  options: {
    config?: ConfigOverrides;
    clock?: FixedClock;
    file?: boolean;
    /** A master key of its own (bootstrapped afresh, ~0.4 s): another instance, as a tenant import's target is. */
    ownMasterKey?: boolean;
  } = {},
): Promise<TestInstance> {
  const clock = options.clock ?? fixedClock(TEST_EPOCH);
  const { image, masterKeys } = options.ownMasterKey ? await freshImage() : await bootstrappedImage();
  let dir: string | undefined;
  let databaseFile: string | Buffer = image;
  if (options.file) {
    dir = mkdtempSync(path.join(tmpdir(), 'kimauth-test-'));
    databaseFile = path.join(dir, 'kimauth.db');
    writeFileSync(databaseFile, image);
  }
  const deps = buildDeps({
    config: testConfig({ dataDir: dir ?? tmpdir(), ...options.config }),
    clock,
    masterKeys,
    databaseFile,
    migrate: true,
  });
  const master = findTenant(deps, 'master')!;
  const admin = findUserByEmail(deps, ADMIN_EMAIL)!;
  return {
    deps,
    clock,
    master,
    admin,
    close() {
      deps.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function tempDir(prefix = 'kimauth-'): { path: string; remove(): void } {
  const p = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: p, remove: () => rmSync(p, { recursive: true, force: true }) };
}
