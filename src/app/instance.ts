import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE, type Config } from './config.ts';
import type { Clock } from './clock.ts';
import { buildDeps, DATABASE_FILE, type Deps } from './deps.ts';
import { AppError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Actor } from '../audit/audit-log.ts';
import { generateMasterKeyring, MASTER_KEY_FILE, readMasterKeyring, writeMasterKeyring } from '../keys/master-key.ts';
import { createTenant, MASTER_SLUG } from '../tenants/tenants.ts';
import { pendingMigrationTags as pendingTagsOf } from '../db/migrate.ts';
import { createUser } from '../identity/users.ts';
import type { TenantRow } from '../tenants/tables.ts';
import type { UserRow } from '../identity/tables.ts';

export interface InitInput {
  config: Config;
  adminEmail: string;
  /** Omitted → a strong password is generated and returned once. */
  adminPassword?: string;
  adminName?: string;
  /** Written to kimauth.json when the operator chose it. */
  publicUrl?: string;
  actor: Actor;
  clock?: Clock;
  logger?: Logger;
}

export interface InitResult {
  dataDir: string;
  adminEmail: string;
  adminId: string;
  masterTenantId: string;
  /** Only when kimauth generated it; shown once, never stored in clear. */
  generatedPassword?: string;
}

/** The tags of the migrations this binary ships that the open data dir has not applied yet. */
export function pendingMigrationTags(deps: Deps): string[] {
  return pendingTagsOf(deps.sqlite);
}

export function isInitialised(dataDir: string): boolean {
  return existsSync(path.join(dataDir, MASTER_KEY_FILE)) || existsSync(path.join(dataDir, DATABASE_FILE));
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export interface BootstrapInput {
  adminEmail: string;
  adminPassword: string;
  adminName?: string;
  actor: Actor;
}

/** The database half of init: the reserved `master` tenant with its key, and the first platform admin. */
export async function bootstrapPlatform(deps: Deps, input: BootstrapInput): Promise<{ master: TenantRow; admin: UserRow }> {
  const master = await createTenant(deps, { slug: MASTER_SLUG, name: 'Platform' }, input.actor, { allowReserved: true });
  const admin = await createUser(
    deps,
    {
      email: input.adminEmail,
      fullName: input.adminName ?? 'Platform Admin',
      password: input.adminPassword,
      globalRole: 'PLATFORM_SUPERADMIN',
      approvalStatus: 'APPROVED',
      isActive: true,
    },
    input.actor,
  );
  return { master, admin };
}

/**
 * Creates the data dir (0700), master key (0600), kimauth.json, the database with the reserved `master`
 * tenant and its signing key, and the first platform admin. Refuses a data dir that is already initialised.
 */
export async function initInstance(input: InitInput): Promise<InitResult> {
  const dataDir = input.config.dataDir;
  if (isInitialised(dataDir)) {
    throw new AppError('conflict', `${dataDir} is already initialised; refusing to overwrite it`);
  }
  const createdDir = !existsSync(dataDir);
  if (!createdDir && readdirSync(dataDir).some((f) => ![CONFIG_FILE, '.gitkeep'].includes(f))) {
    throw new AppError('conflict', `${dataDir} is not empty; choose an empty or new data dir`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);

  // A key file outside the data dir that already exists is adopted (an operator prepared it, or systemd's
  // LoadCredential hands it in); one that does not exist yet is written there.
  const keyFile = input.config.masterKeyFile;
  const adoptKey = existsSync(keyFile);
  let deps: Deps | undefined;
  try {
    const masterKeys = adoptKey ? readMasterKeyring(keyFile) : generateMasterKeyring();
    if (!adoptKey) {
      mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
      writeMasterKeyring(keyFile, masterKeys);
    }
    if (input.publicUrl) {
      writeFileSync(path.join(dataDir, CONFIG_FILE), JSON.stringify({ publicUrl: input.publicUrl }, null, 2) + '\n', {
        mode: 0o600,
      });
    }
    deps = buildDeps({ config: input.config, masterKeys, clock: input.clock, logger: input.logger, migrate: true });
    chmodSync(path.join(dataDir, DATABASE_FILE), 0o600);
    const password = input.adminPassword ?? generatePassword();
    const { master, admin } = await bootstrapPlatform(deps, {
      adminEmail: input.adminEmail,
      adminName: input.adminName,
      adminPassword: password,
      actor: input.actor,
    });
    return {
      dataDir,
      adminEmail: admin.email,
      adminId: admin.id,
      masterTenantId: master.id,
      generatedPassword: input.adminPassword ? undefined : password,
    };
  } catch (err) {
    deps?.close();
    deps = undefined;
    // Leave nothing half-made behind: the next `init` must be able to start over.
    if (!adoptKey) rmSync(keyFile, { force: true });
    if (createdDir) rmSync(dataDir, { recursive: true, force: true });
    else for (const f of [MASTER_KEY_FILE, DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) rmSync(path.join(dataDir, f), { force: true });
    throw err;
  } finally {
    deps?.close();
  }
}
