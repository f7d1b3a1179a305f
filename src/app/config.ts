import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
// zod/mini, not zod: the full zod costs every CLI start ~25 ms to load (issue 14); the messages are the same.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { ConfigError } from './environment.ts';

/**
 * The one configuration schema. Precedence: flags > KIMAUTH_* environment > kimauth.json in the data dir
 * > defaults. This is the only module that reads process.env (with environment.ts, which it re-exports).
 */
// zod/mini loads no locale by itself; English is what the full zod would have said.
z.config(en());

const BOOLEAN_WORDS = ['true', 'false', '1', '0', 'yes', 'no'] as const;
const bool = z.pipe(
  z.union([z.boolean(), z.enum(BOOLEAN_WORDS)]),
  z.transform((v: boolean | (typeof BOOLEAN_WORDS)[number]) => (typeof v === 'boolean' ? v : ['true', '1', 'yes'].includes(v))),
);
const int = (min: number, max: number) => z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max));
const url = z.string().check(z.url());
const nonEmpty = (min = 1) => z.string().check(z.minLength(min));
/** A transform's refusal: the message loadConfig reports. */
const refuse = (ctx: z.core.ParsePayload, raw: unknown, message: string) => {
  ctx.issues.push({ code: 'custom', message, input: raw });
  return z.NEVER;
};

/** proxy-addr's names for address ranges, accepted in KIMAUTH_TRUST_PROXY beside addresses and CIDRs. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length > 0) return false;
  if (bits === undefined) return true;
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

/**
 * KIMAUTH_TRUST_PROXY, with fastify's (proxy-addr's) semantics: the client address is the first untrusted hop
 * counted from the right of X-Forwarded-For. `false`/`0` (default) → the socket address; a hop count `N` → N
 * proxies in front; a comma-separated list of addresses, CIDRs or proxy-addr range names → those proxies.
 * `true` is refused: it would trust every entry, and the leftmost one is written by the client.
 */
const trustProxy = z.pipe(
  z.union([z.boolean(), z.number(), z.string()]),
  z.transform((raw: boolean | number | string, ctx): false | number | string[] => {
    const value = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    if (value === false || value === 'false' || value === 'no' || value === '0' || value === 0) return false;
    if (value === true || value === 'true' || value === 'yes') {
      return refuse(
        ctx,
        raw,
        '"true" would take the client address from the leftmost X-Forwarded-For entry, which the client writes; ' +
          'give the number of proxies in front (e.g. 1) or their addresses/CIDRs (e.g. 127.0.0.1,10.0.0.0/8)',
      );
    }
    if (typeof value === 'number' || /^\d+$/.test(value)) {
      const hops = Number(value);
      if (Number.isInteger(hops) && hops >= 0 && hops <= 32) return hops === 0 ? false : hops;
      return refuse(ctx, raw, 'a hop count must be an integer from 0 to 32');
    }
    const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.filter((e) => !isProxyAddress(e));
    if (entries.length === 0 || bad.length > 0) {
      return refuse(ctx, raw, `not a hop count or a list of proxy addresses/CIDRs (${bad.join(', ') || 'empty'})`);
    }
    return entries;
  }),
);

/** KIMAUTH_CORS_ORIGINS: comma-separated exact origins (scheme://host[:port]); empty = CORS off. */
const corsOrigins = z.pipe(
  z.union([z.array(z.string()), z.string()]),
  z.transform((raw: string[] | string, ctx): string[] => {
    const entries = (Array.isArray(raw) ? raw : raw.split(',')).map((e) => e.trim()).filter(Boolean);
    for (const entry of entries) {
      let origin: string | undefined;
      try {
        origin = new URL(entry).origin;
      } catch {
        origin = undefined;
      }
      if (!origin || origin === 'null' || origin !== entry.replace(/\/+$/, '')) {
        return refuse(ctx, raw, `${JSON.stringify(entry)} is not an origin like https://app.example.com`);
      }
    }
    return entries.map((e) => e.replace(/\/+$/, ''));
  }),
);

/** Each setting: its env variable, its schema, its default. Keys are the names used in kimauth.json. */
const FIELDS = {
  dataDir: { env: 'KIMAUTH_DATA_DIR', schema: nonEmpty(), default: './kimauth-data' },
  host: { env: 'KIMAUTH_HOST', schema: nonEmpty(), default: '127.0.0.1' },
  port: { env: 'KIMAUTH_PORT', schema: int(0, 65535), default: 3097 },
  publicUrl: { env: 'KIMAUTH_PUBLIC_URL', schema: url, default: 'http://localhost:3097' },
  issuer: { env: 'KIMAUTH_ISSUER', schema: z.optional(nonEmpty()), default: undefined },
  audience: { env: 'KIMAUTH_AUDIENCE', schema: nonEmpty(), default: 'kimauth-apps' },
  accessTokenTtl: { env: 'KIMAUTH_ACCESS_TOKEN_TTL', schema: int(30, 86_400), default: 900 },
  refreshTokenTtl: { env: 'KIMAUTH_REFRESH_TOKEN_TTL', schema: int(60, 31_536_000), default: 2_592_000 },
  publicRegistration: { env: 'KIMAUTH_PUBLIC_REGISTRATION', schema: bool, default: false },
  internalApiKey: { env: 'KIMAUTH_INTERNAL_API_KEY', schema: z.optional(nonEmpty(16)), default: undefined },
  emailEnabled: { env: 'KIMAUTH_EMAIL_ENABLED', schema: bool, default: false },
  smtpUrl: { env: 'KIMAUTH_SMTP_URL', schema: z.optional(nonEmpty()), default: undefined },
  emailFrom: { env: 'KIMAUTH_EMAIL_FROM', schema: nonEmpty(3), default: 'kimauth <no-reply@localhost>' },
  emailAppName: { env: 'KIMAUTH_EMAIL_APP_NAME', schema: nonEmpty(), default: 'kimauth' },
  emailLogoUrl: { env: 'KIMAUTH_EMAIL_LOGO_URL', schema: z.optional(url), default: undefined },
  frontendUrl: { env: 'KIMAUTH_FRONTEND_URL', schema: url, default: 'http://localhost:3000' },
  exposePasswordResetToken: { env: 'KIMAUTH_EXPOSE_PASSWORD_RESET_TOKEN', schema: bool, default: false },
  entitlementsUrl: { env: 'KIMAUTH_ENTITLEMENTS_URL', schema: z.optional(url), default: undefined },
  viesUrl: { env: 'KIMAUTH_VIES_URL', schema: url, default: 'https://ec.europa.eu/taxation_customs/vies/rest-api' },
  viesTimeoutMs: { env: 'KIMAUTH_VIES_TIMEOUT_MS', schema: int(100, 120_000), default: 10_000 },
  viesAttempts: { env: 'KIMAUTH_VIES_ATTEMPTS', schema: int(1, 10), default: 3 },
  viesRetryDelayMs: { env: 'KIMAUTH_VIES_RETRY_DELAY_MS', schema: int(0, 60_000), default: 1_000 },
  rateLimitPerMinute: { env: 'KIMAUTH_RATE_LIMIT_PER_MINUTE', schema: int(1, 1_000_000), default: 30 },
  /** Agent token exchanges per agent and minute (each is a signature). */
  agentTokenRatePerMinute: { env: 'KIMAUTH_AGENT_TOKEN_RATE_PER_MINUTE', schema: int(1, 10_000_000), default: 600 },
  /** Lifetime of agent and act-as tokens, seconds. */
  agentTokenTtl: { env: 'KIMAUTH_AGENT_TOKEN_TTL', schema: int(30, 86_400), default: 300 },
  trustProxy: { env: 'KIMAUTH_TRUST_PROXY', schema: trustProxy, default: false },
  corsOrigins: { env: 'KIMAUTH_CORS_ORIGINS', schema: corsOrigins, default: '' },
  refreshReuseGrace: { env: 'KIMAUTH_REFRESH_REUSE_GRACE', schema: int(0, 300), default: 0 },
  masterKeyFile: { env: 'KIMAUTH_MASTER_KEY_FILE', schema: z.optional(nonEmpty()), default: undefined },
  /** Webhook targets on loopback, private or link-local networks (refused by default: SSRF). */
  webhookAllowPrivateNetworks: { env: 'KIMAUTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS', schema: bool, default: false },
  /**
   * Where `serve` checkpoints the SQLite WAL: `background` (a helper process, so no request waits for the
   * checkpoint's fsyncs) or `inline` (SQLite's default: the commit that fills 1,000 pages does it).
   */
  walCheckpoints: { env: 'KIMAUTH_WAL_CHECKPOINTS', schema: z.enum(['background', 'inline']), default: 'background' },
  /** GET /metrics (Prometheus text format). */
  metrics: { env: 'KIMAUTH_METRICS', schema: bool, default: false },
  /** Serve /metrics on its own listener (on KIMAUTH_HOST) instead of the API port. */
  metricsPort: { env: 'KIMAUTH_METRICS_PORT', schema: z.optional(int(0, 65535)), default: undefined },
  /** Nightly online backup by `serve` into this directory; off when unset. */
  backupDir: { env: 'KIMAUTH_BACKUP_DIR', schema: z.optional(nonEmpty()), default: undefined },
  /** How many nightly backups to keep. */
  backupKeep: { env: 'KIMAUTH_BACKUP_KEEP', schema: int(1, 1000), default: 7 },
  /** GET /docs, the rendered API reference. */
  docs: { env: 'KIMAUTH_DOCS', schema: bool, default: true },
  logLevel: {
    env: 'KIMAUTH_LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
  },
} as const;

type Fields = typeof FIELDS;
export type ConfigKey = keyof Fields;
type Parsed<K extends ConfigKey> = z.output<Fields[K]['schema']>;

export type Config = { [K in ConfigKey]: Parsed<K> } & {
  /** Absolute data dir. */
  dataDir: string;
  /** `iss` of platform tokens: KIMAUTH_ISSUER, else the public URL. */
  issuer: string;
  /**
   * Absolute path of the master key file: KIMAUTH_MASTER_KEY_FILE, else systemd's
   * `$CREDENTIALS_DIRECTORY/master.key` (LoadCredential) when that directory is set, else `<dataDir>/master.key`.
   */
  masterKeyFile: string;
};

export type ConfigOverrides = Partial<{ [K in ConfigKey]: unknown }>;

// Defined in environment.ts so the CLI can start without zod; this module stays the place to import them from.
export { ConfigError, processEnvironment } from './environment.ts';

export const CONFIG_FILE = 'kimauth.json';


/** The data dir alone, resolved before the rest (kimauth.json lives in it). */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.KIMAUTH_DATA_DIR ?? FIELDS.dataDir.default);
}

function readConfigFile(dataDir: string): Record<string, unknown> {
  const file = path.join(dataDir, CONFIG_FILE);
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('not a JSON object');
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
}

export interface LoadConfigInput {
  flags?: ConfigOverrides;
  env?: NodeJS.ProcessEnv;
  /** Skip reading kimauth.json (tests). */
  ignoreFile?: boolean;
}

export function loadConfig(input: LoadConfigInput = {}): Config {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  const dataDir = resolveDataDir(flags.dataDir as string | undefined, env);
  const file = input.ignoreFile ? {} : readConfigFile(dataDir);

  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(FIELDS) as [ConfigKey, Fields[ConfigKey]][]) {
    let raw: unknown;
    let source: string;
    if (flags[key] !== undefined) {
      raw = flags[key];
      source = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    } else if (env[field.env] !== undefined && env[field.env] !== '') {
      raw = env[field.env];
      source = field.env;
    } else if (file[key] !== undefined) {
      raw = file[key];
      source = `${CONFIG_FILE} "${key}" (${field.env})`;
    } else {
      raw = field.default;
      source = field.env;
    }
    const result = (field.schema as z.ZodMiniType).safeParse(raw);
    if (!result.success) {
      const reason = result.error.issues[0]?.message ?? 'invalid value';
      throw new ConfigError(`Invalid configuration ${source}: ${reason} (got ${JSON.stringify(raw)})`);
    }
    out[key] = result.data;
  }
  out.dataDir = dataDir;
  out.publicUrl = String(out.publicUrl).replace(/\/+$/, '');
  out.issuer = (out.issuer as string | undefined) ?? (out.publicUrl as string);
  out.masterKeyFile = path.resolve(
    (out.masterKeyFile as string | undefined) ??
      (env.CREDENTIALS_DIRECTORY ? path.join(env.CREDENTIALS_DIRECTORY, 'master.key') : path.join(dataDir, 'master.key')),
  );
  if (out.emailEnabled && !out.smtpUrl) {
    throw new ConfigError('Invalid configuration KIMAUTH_SMTP_URL: required when KIMAUTH_EMAIL_ENABLED=true');
  }
  return out as Config;
}

/** A config for tests and in-process tools: defaults plus overrides, no env, no file. */
export function testConfig(overrides: ConfigOverrides = {}): Config {
  return loadConfig({ flags: { dataDir: ':memory:', ...overrides }, env: {}, ignoreFile: true });
}
