import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './environment.ts';

/**
 * The one configuration schema. Precedence: flags > KIMAUTH_* environment > kimauth.json in the data dir
 * > defaults. This is the only module that reads process.env (with environment.ts, which it re-exports).
 */
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) =>
  typeof v === 'boolean' ? v : ['true', '1', 'yes'].includes(v),
);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = z.string().url();

/** Each setting: its env variable, its schema, its default. Keys are the names used in kimauth.json. */
const FIELDS = {
  dataDir: { env: 'KIMAUTH_DATA_DIR', schema: z.string().min(1), default: './kimauth-data' },
  host: { env: 'KIMAUTH_HOST', schema: z.string().min(1), default: '127.0.0.1' },
  port: { env: 'KIMAUTH_PORT', schema: int(0, 65535), default: 3097 },
  publicUrl: { env: 'KIMAUTH_PUBLIC_URL', schema: url, default: 'http://localhost:3097' },
  issuer: { env: 'KIMAUTH_ISSUER', schema: z.string().min(1).optional(), default: undefined },
  audience: { env: 'KIMAUTH_AUDIENCE', schema: z.string().min(1), default: 'kimauth-apps' },
  accessTokenTtl: { env: 'KIMAUTH_ACCESS_TOKEN_TTL', schema: int(30, 86_400), default: 900 },
  refreshTokenTtl: { env: 'KIMAUTH_REFRESH_TOKEN_TTL', schema: int(60, 31_536_000), default: 2_592_000 },
  publicRegistration: { env: 'KIMAUTH_PUBLIC_REGISTRATION', schema: bool, default: false },
  internalApiKey: { env: 'KIMAUTH_INTERNAL_API_KEY', schema: z.string().min(16).optional(), default: undefined },
  emailEnabled: { env: 'KIMAUTH_EMAIL_ENABLED', schema: bool, default: false },
  smtpUrl: { env: 'KIMAUTH_SMTP_URL', schema: z.string().min(1).optional(), default: undefined },
  emailFrom: { env: 'KIMAUTH_EMAIL_FROM', schema: z.string().min(3), default: 'kimauth <no-reply@localhost>' },
  emailAppName: { env: 'KIMAUTH_EMAIL_APP_NAME', schema: z.string().min(1), default: 'kimauth' },
  emailLogoUrl: { env: 'KIMAUTH_EMAIL_LOGO_URL', schema: url.optional(), default: undefined },
  frontendUrl: { env: 'KIMAUTH_FRONTEND_URL', schema: url, default: 'http://localhost:3000' },
  exposePasswordResetToken: { env: 'KIMAUTH_EXPOSE_PASSWORD_RESET_TOKEN', schema: bool, default: false },
  entitlementsUrl: { env: 'KIMAUTH_ENTITLEMENTS_URL', schema: url.optional(), default: undefined },
  viesUrl: { env: 'KIMAUTH_VIES_URL', schema: url, default: 'https://ec.europa.eu/taxation_customs/vies/rest-api' },
  viesTimeoutMs: { env: 'KIMAUTH_VIES_TIMEOUT_MS', schema: int(100, 120_000), default: 10_000 },
  viesAttempts: { env: 'KIMAUTH_VIES_ATTEMPTS', schema: int(1, 10), default: 3 },
  viesRetryDelayMs: { env: 'KIMAUTH_VIES_RETRY_DELAY_MS', schema: int(0, 60_000), default: 1_000 },
  rateLimitPerMinute: { env: 'KIMAUTH_RATE_LIMIT_PER_MINUTE', schema: int(1, 1_000_000), default: 30 },
  trustProxy: { env: 'KIMAUTH_TRUST_PROXY', schema: bool, default: false },
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
    const result = (field.schema as z.ZodType).safeParse(raw);
    if (!result.success) {
      const reason = result.error.issues[0]?.message ?? 'invalid value';
      throw new ConfigError(`Invalid configuration ${source}: ${reason} (got ${JSON.stringify(raw)})`);
    }
    out[key] = result.data;
  }
  out.dataDir = dataDir;
  out.publicUrl = String(out.publicUrl).replace(/\/+$/, '');
  out.issuer = (out.issuer as string | undefined) ?? (out.publicUrl as string);
  if (out.emailEnabled && !out.smtpUrl) {
    throw new ConfigError('Invalid configuration KIMAUTH_SMTP_URL: required when KIMAUTH_EMAIL_ENABLED=true');
  }
  return out as Config;
}

/** A config for tests and in-process tools: defaults plus overrides, no env, no file. */
export function testConfig(overrides: ConfigOverrides = {}): Config {
  return loadConfig({ flags: { dataDir: ':memory:', ...overrides }, env: {}, ignoreFile: true });
}
