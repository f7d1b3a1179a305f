/** Names shared by the binary's loader (sea-main.ts, which runs on import) and build-binary.ts. */
export const APP_ASSET = 'kimauth/app.cjs';
export const APP_CACHE_ASSET = 'kimauth/app.cache';
/** The CLI core (src/cli/core-main.ts): the light command lines of src/cli/core-commands.ts, with its own code cache. */
export const CORE_ASSET = 'kimauth/core.cjs';
export const CORE_CACHE_ASSET = 'kimauth/core.cache';
/** Build-time only: write the code cache of the bundle that ran (core or app) to this file when the process ends (build-binary.ts sets it). */
export const WRITE_CACHE_ENV = 'KIMAUTH_BUILD_WRITE_CODE_CACHE';
/**
 * The app asset is the bundle already wrapped as the CommonJS function the loader calls, so a start makes one string
 * of the ~5 MB source instead of two (the asset, then the wrapped copy).
 */
export function wrapAppSource(bundle: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${bundle}\n})`;
}
