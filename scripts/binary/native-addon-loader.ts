/**
 * Runs INSIDE the single binary (the esbuild plugin in bundle.ts wires it in place of each `.node` require).
 *
 * The OS can only dlopen a file, so each native addon embedded as a SEA asset is written once to a cache
 * directory named by its content hash, then loaded with process.dlopen. Writes go to a temp file and are
 * renamed into place, so concurrent first starts never load a half-written library.
 */
import type { randomBytes as RandomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedAddon {
  /** SEA asset key, e.g. `native/better_sqlite3.node`. */
  assetKey: string;
  /** sha256 of the addon, computed at build time: names the cache directory. */
  sha256: string;
  size: number;
  fileName: string;
}

type SeaAssets = { getAsset(key: string): ArrayBuffer };

export function loadEmbeddedAddon(addon: EmbeddedAddon): unknown {
  const failures: string[] = [];
  for (const cacheDir of cacheDirCandidates(addon.sha256)) {
    let file: string;
    try {
      file = extractOnce(cacheDir(), addon);
    } catch (err) {
      // fs errors name the path they failed on.
      failures.push((err as Error).message);
      continue;
    }
    const module = { exports: {} };
    process.dlopen(module, file);
    return module.exports;
  }
  throw new Error(`kimauth: cannot unpack the native addon ${addon.fileName}:\n  ${failures.join('\n  ')}`);
}

/** The user's cache dir first; a private per-user dir under the temp dir when HOME is missing or read-only. */
function cacheDirCandidates(sha256: string): Array<() => string> {
  return [
    () => path.join(userCacheRoot(), 'kimauth', 'native', sha256),
    () => path.join(privateTempRoot(), 'native', sha256),
  ];
}

function userCacheRoot(): string {
  // This runs before the app's config is loaded (addons load at module init), so it reads XDG itself.
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return xdg;
  return path.join(os.homedir(), '.cache');
}

/** /tmp is shared: only use a directory this user owns and nobody else can write to. */
function privateTempRoot(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(os.tmpdir(), `kimauth-${uid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory() || (process.getuid && stat.uid !== uid) || (stat.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a private directory of this user`);
  }
  return dir;
}

function extractOnce(dir: string, addon: EmbeddedAddon): string {
  const file = path.join(dir, addon.fileName);
  if (sizeOf(file) === addon.size) return file;

  const sea = process.getBuiltinModule('node:sea') as SeaAssets;
  const bytes = new Uint8Array(sea.getAsset(addon.assetKey));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${addon.fileName}.${process.pid}.${randomSuffix()}.tmp`);
  try {
    fs.writeFileSync(temp, bytes, { mode: 0o700 });
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  return file;
}

/** node:crypto costs milliseconds to load and is only needed the first time an addon is unpacked. */
function randomSuffix(): string {
  const { randomBytes } = process.getBuiltinModule('node:crypto') as { randomBytes: typeof RandomBytes };
  return randomBytes(4).toString('hex');
}

function sizeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch {
    return undefined;
  }
}
