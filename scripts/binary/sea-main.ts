/**
 * The main script of the single binary: small on purpose. Node compiles the SEA main (or reads its code cache) in
 * full at every start, and the whole app is ~6 MB of JavaScript; so the app travels as an asset instead and is
 * compiled here from its own V8 code cache — one made by this very binary after a real command run (`init`;
 * build-binary.ts), so it holds the functions a command run needs, compiled, not only the top level.
 * `kimauth --version` alone answers without compiling the app at all, and the light command lines
 * (src/cli/core-commands.ts: `users list`, `users show`) run the CLI core, a bundle of a fifth of the size with its
 * own code cache (made after a `users list`), instead of the whole app.
 *
 * Bundled to CJS with nothing but builtins; `require` here is the SEA's builtin-only require, as in the app.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as sea from 'node:sea';
import vm from 'node:vm';
import { VERSION } from '../../src/app/version.ts';
import { runsInCore } from '../../src/cli/core-commands.ts';
import { APP_ASSET, APP_CACHE_ASSET, CORE_ASSET, CORE_CACHE_ASSET, WRITE_CACHE_ENV } from './sea-assets.ts';

declare const require: NodeJS.Require;
declare const module: NodeJS.Module;

/** The asset in place (getRawAsset: no copy of 6 MB), else a copy (getAsset). */
function rawAsset(key: string): ArrayBuffer {
  const api = sea as unknown as { getRawAsset?: (key: string) => ArrayBuffer; getAsset(key: string): ArrayBuffer };
  return api.getRawAsset ? api.getRawAsset(key) : api.getAsset(key);
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The same line commander prints (src/cli/program.ts).
  process.stdout.write(`${VERSION} (Node.js ${process.version})\n`);
} else {
  const [asset, cacheAsset] = runsInCore(args) ? [CORE_ASSET, CORE_CACHE_ASSET] : [APP_ASSET, APP_CACHE_ASSET];
  // esbuild writes ASCII only (non-ASCII is escaped): latin1 is a copy, not a UTF-8 decode of 6 MB.
  const source = Buffer.from(rawAsset(asset)).toString('latin1');
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(rawAsset(cacheAsset));
  } catch {
    cachedData = undefined; // the first build step, before the caches exist
  }
  // The asset is already wrapped as a CommonJS function (wrapAppSource at build time).
  const script = new vm.Script(source, {
    filename: process.execPath,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cacheFile = process.env[WRITE_CACHE_ENV];
  if (cacheFile) process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
  (script.runInThisContext() as (...a: unknown[]) => void)(module.exports, require, module, process.execPath, path.dirname(process.execPath));
}
