/**
 * The zod-free part of the configuration module: config.ts re-exports both, and together they are the only
 * readers of process.env. Kept apart so the CLI answers `--version` and `--help` without loading zod (~40 ms).
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The process environment, handed to the CLI's io once (the only read of process.env outside config.ts's defaults). */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}
