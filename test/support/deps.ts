import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testConfig, type ConfigOverrides } from '../../src/app/config.ts';
import { fixedClock, type FixedClock } from '../../src/app/clock.ts';
import { buildDeps, type Deps } from '../../src/app/deps.ts';
import { bootstrapPlatform } from '../../src/app/instance.ts';
import { generateMasterKeyring } from '../../src/keys/master-key.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-1';
export const TEST_ACTOR = { type: 'operator', id: 'test', channel: 'cli' } as const;

export interface TestInstance {
  deps: Deps;
  clock: FixedClock;
  master: TenantRow;
  admin: UserRow;
  close(): void;
}

/**
 * A real instance on SQLite `:memory:` (or a temp file), migrated and bootstrapped, with a fixed clock.
 * The same services as production; nothing mocked.
 */
export async function createTestInstance(
  options: { config?: ConfigOverrides; clock?: FixedClock; file?: boolean } = {},
): Promise<TestInstance> {
  const clock = options.clock ?? fixedClock('2026-03-01T12:00:00Z');
  let dir: string | undefined;
  let databaseFile = ':memory:';
  if (options.file) {
    dir = mkdtempSync(path.join(tmpdir(), 'kimauth-test-'));
    databaseFile = path.join(dir, 'kimauth.db');
  }
  const deps = buildDeps({
    config: testConfig({ dataDir: dir ?? tmpdir(), ...options.config }),
    clock,
    masterKeys: generateMasterKeyring(),
    databaseFile,
    migrate: true,
  });
  const { master, admin } = await bootstrapPlatform(deps, {
    adminEmail: ADMIN_EMAIL,
    adminPassword: ADMIN_PASSWORD,
    actor: TEST_ACTOR,
  });
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
