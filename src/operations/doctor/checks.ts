import { existsSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../app/config.ts';
import { DATABASE_FILE, type Deps } from '../../app/deps.ts';
import { pendingMigrations } from '../../db/migrate.ts';
import { readMasterKeyring } from '../../keys/master-key.ts';
import { verifySmtpServer } from '../../mail/transport.ts';
import { newestBackupRecord } from '../backup/store.ts';
import { lastHeadsPublished } from '../../audit/heads.ts';
import { listSigningKeys } from '../../keys/signing-keys.ts';
import { listTenants } from '../../tenants/tenants.ts';
import { failedWebhookRows } from './store.ts';

/** The newest head any tenant published (ms), from the audit context. */
function newestHeadPublishedAt(deps: Deps): number | undefined {
  const times = lastHeadsPublished(deps).map((h) => h.publishedAt);
  return times.length ? Math.max(...times) : undefined;
}

/** Each tenant's active signing key with its age, from the keys and tenants contexts, by slug. */
function activeSigningKeys(deps: Deps): Array<{ slug: string; kid: string; createdAt: number }> {
  const slugs = new Map(listTenants(deps).map((t) => [t.id, t.slug]));
  return listSigningKeys(deps)
    .filter((k) => k.status === 'active' && slugs.has(k.tenantId))
    .map((k) => ({ slug: slugs.get(k.tenantId)!, kid: k.kid, createdAt: k.createdAt.getTime() }))
    .sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warn or a fail. */
  fix?: string;
}

/** What every check may look at. `deps` is absent when the database or key could not be opened. */
export interface DoctorContext {
  config: Config;
  nowMs: number;
  deps?: Deps;
  /** Outbound reachability checks give up after this long. */
  timeoutMs: number;
}

export type Check = (ctx: DoctorContext) => CheckResult | Promise<CheckResult>;

const ok = (name: string, message: string): CheckResult => ({ name, status: 'ok', message });
const warn = (name: string, message: string, fix: string): CheckResult => ({ name, status: 'warn', message, fix });
const fail = (name: string, message: string, fix: string): CheckResult => ({ name, status: 'fail', message, fix });
const mode = (file: string) => (statSync(file).mode & 0o777).toString(8).padStart(3, '0');
const DAY_MS = 24 * 60 * 60_000;
const MIB = 1024 * 1024;

export const checkDataDirPermissions: Check = ({ config }) => {
  const name = 'data-dir-permissions';
  const dir = config.dataDir;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return fail(name, `${dir} does not exist`, 'run `kimauth init` (or point --data-dir / KIMAUTH_DATA_DIR at the data dir)');
  const open: string[] = [];
  if (statSync(dir).mode & 0o077) open.push(`${dir} is ${mode(dir)}`);
  for (const file of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, 'kimauth.json']) {
    const full = path.join(dir, file);
    if (existsSync(full) && statSync(full).mode & 0o077) open.push(`${file} is ${mode(full)}`);
  }
  if (open.length) return fail(name, `readable by others: ${open.join(', ')}`, `chmod 700 ${dir} && chmod 600 ${dir}/kimauth.db*`);
  return ok(name, `${dir} and its files are private to their owner`);
};

export const checkMasterKey: Check = ({ config }) => {
  const name = 'master-key';
  const file = config.masterKeyFile;
  if (!existsSync(file)) return fail(name, `${file} is missing: no private key or audit HMAC can be read`, 'restore master.key from your key backup, or set KIMAUTH_MASTER_KEY_FILE to where it lives');
  if (statSync(file).mode & 0o077) return fail(name, `${file} is ${mode(file)}`, `chmod 600 ${file}`);
  try {
    const ring = readMasterKeyring(file);
    return ok(name, `${file} (0600) holds ${ring.keys.size} key(s), current ${ring.currentId}`);
  } catch (err) {
    return fail(name, (err as Error).message, 'restore master.key from your key backup');
  }
};

export const checkFreeDisk: Check = ({ config }) => {
  const name = 'free-disk';
  if (!existsSync(config.dataDir)) return warn(name, 'no data dir to measure', 'run `kimauth init`');
  const fs = statfsSync(config.dataDir);
  const free = fs.bavail * fs.bsize;
  const share = fs.blocks > 0 ? fs.bavail / fs.blocks : 1;
  const text = `${(free / 1024 ** 3).toFixed(1)} GiB free (${Math.round(share * 100)}%) on the data dir's file system`;
  if (free < 100 * MIB) return fail(name, text, 'free space now: SQLite stops writing (sign-ins, refreshes) when the disk is full');
  if (free < 1024 * MIB || share < 0.1) return warn(name, text, 'free space or grow the volume; old backups in KIMAUTH_BACKUP_DIR are a usual suspect');
  return ok(name, text);
};

export const checkWalSize: Check = ({ config }) => {
  const name = 'wal-size';
  const wal = path.join(config.dataDir, `${DATABASE_FILE}-wal`);
  const bytes = existsSync(wal) ? statSync(wal).size : 0;
  const text = `${(bytes / MIB).toFixed(1)} MiB of write-ahead log`;
  if (bytes > 1024 * MIB) return fail(name, text, 'a long-lived reader blocks checkpoints: stop stray `kimauth` processes or restart serve');
  if (bytes > 256 * MIB) return warn(name, text, 'checkpoints are falling behind: look for a long-running reader (an open backup or export)');
  return ok(name, text);
};

const needsDatabase = (name: string): CheckResult =>
  fail(name, 'not checked: the database could not be opened', 'fix the checks above (data dir, master key) first');

export const checkMigrations: Check = ({ deps }) => {
  const name = 'migrations';
  if (!deps) return needsDatabase(name);
  const pending = pendingMigrations(deps.sqlite);
  if (pending.length) {
    return fail(name, `${pending.length} pending: ${pending.map((m) => m.tag).join(', ')}`, 'take a `kimauth backup`, then start `kimauth serve` (it applies them), or run any command that opens the data dir');
  }
  return ok(name, 'the schema is current');
};

export const checkClockSkew: Check = ({ deps, nowMs }) => {
  const name = 'clock-skew';
  if (!deps) return needsDatabase(name);
  const newest = newestHeadPublishedAt(deps);
  if (newest === undefined) return warn(name, 'no audit head published yet, nothing to compare the clock with', 'start `kimauth serve` (it publishes every head at start) or run `kimauth audit heads publish`');
  const ahead = newest - nowMs;
  const text = ahead > 0 ? `the newest head was published ${Math.round(ahead / 1000)} s in the future of this clock` : `the newest head is ${Math.round(-ahead / 60_000)} min old`;
  if (ahead > 5 * 60_000) return fail(name, text, 'this clock is behind (or was set back): fix NTP before issuing tokens, or exp/iat checks fail');
  if (ahead > 5_000) return warn(name, text, 'check NTP (timedatectl / chronyc tracking)');
  return ok(name, text);
};

export const checkSigningKeyAge: Check = ({ deps, nowMs }) => {
  const name = 'signing-key-rotation';
  if (!deps) return needsDatabase(name);
  const due = activeSigningKeys(deps).filter((k) => nowMs - k.createdAt > 90 * DAY_MS);
  if (due.length) {
    return warn(name, `active for over 90 days: ${due.map((k) => `${k.slug} (${k.kid})`).join(', ')}`, `kimauth keys rotate --tenant ${due[0].slug}`);
  }
  return ok(name, 'every active signing key is younger than 90 days');
};

export const checkLastBackup: Check = ({ deps, nowMs, config }) => {
  const name = 'last-backup';
  if (!deps) return needsDatabase(name);
  const newest = newestBackupRecord(deps);
  const fix = config.backupDir ? 'check the nightly job in the serve log (backup.nightly)' : 'set KIMAUTH_BACKUP_DIR for a nightly backup, or run `kimauth backup --out FILE`';
  if (!newest) return warn(name, 'no backup has been taken', fix);
  const ageH = (nowMs - newest.takenAt) / 3_600_000;
  const text = `${ageH.toFixed(1)} h ago (${newest.kind}, ${path.basename(newest.file)})`;
  if (ageH > 7 * 24) return fail(name, text, fix);
  if (ageH > 36) return warn(name, text, fix);
  return ok(name, text);
};

export const checkWebhookFailures: Check = ({ deps }) => {
  const name = 'webhook-failures';
  if (!deps) return needsDatabase(name);
  const tables = failedWebhookRows(deps);
  if (tables.length === 0) return ok(name, 'no webhook deliveries on this instance');
  const failed = tables.filter((t) => t.failed > 0);
  if (failed.length) return warn(name, `failed deliveries: ${failed.map((t) => `${t.table} ${t.failed}`).join(', ')}`, 'look at the receivers (their URL, TLS, status) and requeue once fixed');
  return ok(name, 'no failed webhook deliveries');
};

/** Any HTTP answer means reachable; a network error or timeout does not. */
async function reachable(deps: Deps, url: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await deps.http(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.body?.cancel();
    return null;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return cause ?? (err as Error).name ?? 'unreachable';
  }
}

export const checkEntitlements: Check = async ({ deps, config, timeoutMs }) => {
  const name = 'entitlements-service';
  if (!config.entitlementsUrl) return ok(name, 'not configured (KIMAUTH_ENTITLEMENTS_URL unset): local entitlements only');
  if (!deps) return needsDatabase(name);
  const error = await reachable(deps, config.entitlementsUrl, timeoutMs);
  if (error) return fail(name, `${config.entitlementsUrl} is unreachable (${error})`, 'check KIMAUTH_ENTITLEMENTS_URL and the network path to it');
  return ok(name, `${config.entitlementsUrl} answers`);
};

export const checkVies: Check = async ({ deps, config, timeoutMs }) => {
  const name = 'vies';
  if (!deps) return needsDatabase(name);
  const error = await reachable(deps, config.viesUrl, timeoutMs);
  if (error) return warn(name, `${config.viesUrl} is unreachable (${error}): B2B reverse charge cannot be confirmed`, 'check KIMAUTH_VIES_URL and outbound HTTPS');
  return ok(name, `${config.viesUrl} answers`);
};

export const checkSmtp: Check = async ({ config, timeoutMs }) => {
  const name = 'smtp';
  if (!config.emailEnabled || !config.smtpUrl) return ok(name, 'mail is off (KIMAUTH_EMAIL_ENABLED=false)');
  const where = new URL(config.smtpUrl).host;
  try {
    await verifySmtpServer(config.smtpUrl, timeoutMs);
    return ok(name, `${where} accepts a connection${new URL(config.smtpUrl).username ? ' and the login' : ''}`);
  } catch (err) {
    return fail(name, `${where}: ${(err as Error).message}`, 'check KIMAUTH_SMTP_URL (host, port, credentials, TLS); queued mail waits in the outbox meanwhile');
  }
};

/** In the order they are shown: the ones that need no database first. */
export const DOCTOR_CHECKS: Check[] = [
  checkDataDirPermissions,
  checkMasterKey,
  checkFreeDisk,
  checkWalSize,
  checkMigrations,
  checkClockSkew,
  checkSigningKeyAge,
  checkLastBackup,
  checkWebhookFailures,
  checkSmtp,
  checkEntitlements,
  checkVies,
];
