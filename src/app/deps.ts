import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import { AppError } from './errors.ts';
import type { Config } from './config.ts';
import { systemClock, type Clock } from './clock.ts';
import { silentLogger, type Logger } from './logger.ts';
import { createReadSnapshot, openDatabase, type Db, type Sqlite } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { readMasterKeyring, type MasterKeyring } from '../keys/master-key.ts';
import { createAuditLog, type AuditLog } from '../audit/audit-log.ts';
import { createSigningKeyring, type SigningKeyring } from '../keys/signing-keys.ts';
import { createAccessCaches, type AccessCaches } from '../access/access-caches.ts';
import { defaultHttpClient, type HttpClient } from './http-client.ts';
import { mailTransportFor, type MailTransport } from '../mail/transport.ts';
import { createBackgroundTasks, type BackgroundTasks } from './background-tasks.ts';
import { subscribeWebhookEvents } from '../webhooks/events.ts';
import { createLoginThrottle, type LoginThrottle } from '../identity/login-throttle.ts';
import { createMagicLinkRequestLimit, type MagicLinkRequestLimit } from '../magic-links/request-limit.ts';
import { AgentExchangeLimiter } from '../agents/exchange-limiter.ts';
import { selectTenantBySlug } from '../tenants/store.ts';
import { MASTER_SLUG } from '../tenants/master.ts';
import { createUpstreamClients, type UpstreamClients } from '../upstream-idps/discovery.ts';

/**
 * Everything a service function may use, built once per process (or per test) and passed explicitly as the
 * first argument. No module keeps its own connection, clock or config.
 */
export interface Deps {
  config: Config;
  clock: Clock;
  logger: Logger;
  db: Db;
  sqlite: Sqlite;
  masterKeys: MasterKeyring;
  audit: AuditLog;
  keyring: SigningKeyring;
  /** Outbound HTTP (entitlements, VIES, webhooks, upstream IdPs); tests may pass their own. */
  http: HttpClient;
  /**
   * Where the mail outbox hands messages: the one SMTP transport (KIMAUTH_SMTP_URL) unless a test or a later relay
   * injects its own; refuses to send while mail is off.
   */
  mailTransport: MailTransport;
  /**
   * A statement prepared once per Deps and reused: for hot paths (sign-in, refresh, Bearer checks) where building
   * a drizzle query per request costs more than the query itself (ARCHITECTURE rule 8).
   */
  statement(sql: string): Statement;
  /**
   * Runs synchronous reads in one read transaction (one snapshot, one WAL read lock): for hot paths that make
   * several reads per request (src/db/client.ts createReadSnapshot). Never for writes, never across an await.
   */
  readSnapshot<T>(fn: () => T): T;
  /** Remote entitlements and /auth/me/access results, per Deps (src/access). */
  accessCaches: AccessCaches;
  /**
   * Failed sign-in attempts per account and address, one record for every door (seed-002 /auth/login, the MFA
   * step, the hosted pages): a limit that a second entrance reset would be no limit.
   */
  loginThrottle: LoginThrottle;
  /** Magic links mailed per address, one count for both doors (/auth/magic-link/request, the hosted page). */
  magicLinkRequestLimit: MagicLinkRequestLimit;
  /** Agent token exchanges per agent per minute, one count for both doors (/v1/agents/token, RFC 8693 at the token endpoint). */
  agentExchangeLimiter: AgentExchangeLimiter;
  /** Work done after the response (src/app/background-tasks.ts). */
  background: BackgroundTasks;
  /** Discovered upstream OpenID providers (src/upstream-idps), kept per Deps. */
  upstreamClients: UpstreamClients;
  /** The reserved `master` tenant's id (platform key, platform audit chain); looked up once. */
  platformTenantId(): string;
  /** Closes the database; idempotent. */
  close(): void;
}

export const DATABASE_FILE = 'kimauth.db';

export function databasePath(config: Config): string {
  return path.join(config.dataDir, DATABASE_FILE);
}

export interface BuildDepsOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** Defaults to `<dataDir>/kimauth.db`; `:memory:` or a serialized image (Buffer) for tests. */
  databaseFile?: string | Buffer;
  /** Defaults to config.masterKeyFile (the data dir's master.key unless configured elsewhere). */
  masterKeys?: MasterKeyring;
  /** Outbound HTTP; defaults to the global fetch. */
  http?: HttpClient;
  /** Outbound mail; defaults to SMTP through KIMAUTH_SMTP_URL when email is enabled. */
  mailTransport?: MailTransport;
  /** Apply pending migrations first (serve, init, tests). */
  migrate?: boolean;
}

export function buildDeps(options: BuildDepsOptions): Deps {
  const clock = options.clock ?? systemClock();
  const masterKeys = options.masterKeys ?? readMasterKeyring(options.config.masterKeyFile);
  const handle = openDatabase(options.databaseFile ?? databasePath(options.config));
  try {
    if (options.migrate) migrate(handle.sqlite, clock.nowMs());
  } catch (err) {
    handle.close();
    throw err;
  }
  let platformId: string | undefined;
  const statements = new Map<string, Statement>();
  const statement = (sql: string): Statement => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = handle.sqlite.prepare(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };
  // Created on first use: most CLI commands never log, and pino costs a start several milliseconds (issue 14).
  let logger = options.logger;
  const loggerOf = () => (logger ??= silentLogger());
  const mailTransport = options.mailTransport ?? mailTransportFor(options.config);
  const deps: Deps = {
    config: options.config,
    clock,
    get logger() {
      return loggerOf();
    },
    db: handle.db,
    sqlite: handle.sqlite,
    masterKeys,
    audit: createAuditLog({ sqlite: handle.sqlite, statement, masterKeys, clock }),
    keyring: createSigningKeyring({ statement, clock, masterKeys }),
    http: options.http ?? defaultHttpClient(),
    mailTransport,
    statement,
    readSnapshot: createReadSnapshot(handle.sqlite),
    accessCaches: createAccessCaches(),
    loginThrottle: createLoginThrottle(clock),
    magicLinkRequestLimit: createMagicLinkRequestLimit(clock),
    agentExchangeLimiter: new AgentExchangeLimiter(clock, options.config.agentTokenRatePerMinute),
    background: createBackgroundTasks(loggerOf),
    upstreamClients: createUpstreamClients(),
    platformTenantId() {
      if (platformId) return platformId;
      const row = selectTenantBySlug(deps, MASTER_SLUG);
      if (!row) throw new AppError('not_ready', 'This instance is not initialised (no master tenant); run `kimauth init`');
      platformId = row.id;
      return platformId;
    },
    close() {
      mailTransport.close();
      handle.close();
    },
  };
  // Audit entries that concern integrators become webhook events, in the transaction of their change (src/webhooks).
  subscribeWebhookEvents(deps);
  return deps;
}
