/**
 * `npm run build:binary`: builds dist/kimauth, one executable that needs no node_modules (Node's Single
 * Executable Applications; see README "Single binary").
 *
 *   1. esbuild bundles src/cli/main.ts into dist/kimauth.cjs and the CLI core (src/cli/core-main.ts, the light
 *      commands of src/cli/core-commands.ts) into dist/kimauth-core.cjs (scripts/binary/bundle.ts);
 *   2. both bundles, the native addons and every shipped text file (migrations/, templates/) go into a SEA blob;
 *   3. the blob is injected into a copy of the target Node: Node 24 from the npm registry by default
 *      (scripts/node-runtime.ts), or `--node PATH`. better-sqlite3 is not N-API, so its addon is compiled for
 *      the target's ABI (in the build cache, never over node_modules) unless it is the Node running this script.
 *
 *   npm run build:binary                       # Node 24 (DEFAULT_BINARY_NODE)
 *   npm run build:binary -- --node "$(command -v node)"
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import os from 'node:os';
import * as esbuild from 'esbuild';
import { bundleForSea } from './binary/bundle.ts';
import { APP_ASSET, APP_CACHE_ASSET, CORE_ASSET, CORE_CACHE_ASSET, WRITE_CACHE_ENV, wrapAppSource } from './binary/sea-assets.ts';
import { betterSqliteAddonFor, nodeRuntime } from './node-runtime.ts';
import { VERSION } from '../src/app/version.ts';
import { REDOC_BUNDLE } from '../src/http/routes/docs.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
/** Directories whose files the app reads through src/app/assets.ts readAsset(); keyed by repo-relative path. */
const SHIPPED_DIRS = ['migrations', 'templates'];
/** Single files read the same way: the API reference renderer served at /docs. */
const SHIPPED_FILES = [REDOC_BUNDLE];
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** LIEF (inside postject) warns about every ELF note section of node; the injected binary is fine. */
const HARMLESS_POSTJECT_OUTPUT = /^warning: Can't find string offset for section name '\.note[.\d]*'$|^$/;

export function shippedAssets(root = ROOT): Record<string, string> {
  const assets: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) assets[path.relative(root, full).split(path.sep).join('/')] = full;
    }
  };
  for (const dir of SHIPPED_DIRS) if (existsSync(path.join(root, dir))) walk(path.join(root, dir));
  for (const file of SHIPPED_FILES) {
    if (!existsSync(path.join(root, file))) throw new Error(`${file} is missing; run npm ci (it ships in the binary)`);
    assets[file] = path.join(root, file);
  }
  return assets;
}

function assertVersionInStep(): void {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  if (pkg.version !== VERSION) {
    throw new Error(`src/app/version.ts says ${VERSION} but package.json says ${pkg.version}; bring them in step`);
  }
}

/** Drops the symbol table (~12 MB); the dynamic symbols native addons link against stay. Optional. */
function stripIfPossible(file: string): boolean {
  try {
    execFileSync('strip', ['--strip-all', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** postject's CLI run directly (not through npx, which this machine's npm config answers "no" for). */
function injectBlob(executable: string, blob: string): void {
  const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('postject/package.json')), 'dist/cli.js');
  const result = spawnSync(process.execPath, [cli, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
    encoding: 'utf8',
  });
  const output = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => !HARMLESS_POSTJECT_OUTPUT.test(line));
  if (result.status !== 0) throw new Error(`postject failed (${result.status}):\n${output.join('\n')}`);
  for (const line of output) if (/warn|error/i.test(line)) console.warn(`postject: ${line}`);
}

/** The Node to embed: `--node PATH` (its headers are looked up beside it, as in /usr/include/node), else Node 24. */
export function targetNode(argv: string[]): { node: string; dir: string } {
  const at = argv.findIndex((a) => a === '--node' || a.startsWith('--node='));
  if (at < 0) return nodeRuntime();
  const given = argv[at].includes('=') ? argv[at].slice('--node='.length) : argv[at + 1];
  if (!given || !existsSync(given)) throw new Error(`--node: no executable at ${given ?? '(missing path)'}`);
  const node = realpathSync(given);
  return { node, dir: path.dirname(path.dirname(node)) };
}

/** Writes the SEA blob (made by the very Node it is injected into, as its code cache must be) into a copy of it. */
function injectSea(node: string, executable: string, main: string, assets: Record<string, string>): boolean {
  const blob = path.join(DIST, 'sea-prep.blob');
  const seaConfig = path.join(DIST, 'sea-config.json');
  writeFileSync(seaConfig, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets }, null, 2));
  execFileSync(node, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(executable, { force: true });
  copyFileSync(node, executable);
  chmodSync(executable, 0o755);
  const stripped = stripIfPossible(executable);
  injectBlob(executable, blob);
  return stripped;
}

export async function buildBinary(target = nodeRuntime()): Promise<{ binary: string; bytes: number; seconds: number; nodeVersion: string }> {
  const started = performance.now();
  assertVersionInStep();
  mkdirSync(DIST, { recursive: true });
  const nodeVersion = execFileSync(target.node, ['--version'], { encoding: 'utf8' }).trim();

  const betterSqliteAddon = betterSqliteAddonFor(target, ROOT);
  const bundle = await bundleForSea({ entry: path.join(ROOT, 'src/cli/main.ts'), outfile: path.join(DIST, 'kimauth.cjs'), betterSqliteAddon, targetNode: target.node });
  const core = await bundleForSea({ entry: path.join(ROOT, 'src/cli/core-main.ts'), outfile: path.join(DIST, 'kimauth-core.cjs'), betterSqliteAddon, targetNode: target.node });
  for (const warning of new Set([...bundle.warnings, ...core.warnings])) console.warn(`esbuild: ${warning}`);

  // The SEA main is a small loader (scripts/binary/sea-main.ts); the app travels as an asset with its code cache.
  const seaMain = path.join(DIST, 'kimauth-main.cjs');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'scripts/binary/sea-main.ts')],
    outfile: seaMain,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    logLevel: 'silent',
  });
  const app = path.join(DIST, 'kimauth-app.js');
  writeFileSync(app, wrapAppSource(readFileSync(bundle.outfile, 'latin1')), 'latin1');
  const coreApp = path.join(DIST, 'kimauth-core.js');
  writeFileSync(coreApp, wrapAppSource(readFileSync(core.outfile, 'latin1')), 'latin1');
  const assets: Record<string, string> = { ...shippedAssets(), [APP_ASSET]: app, [CORE_ASSET]: coreApp };
  for (const addon of [...bundle.addons.values(), ...core.addons.values()]) assets[addon.assetKey] = addon.sourcePath;

  // Build beside the target and rename at the end, so a failed build never leaves a fresh-looking binary.
  const binary = path.join(DIST, 'kimauth');
  const partial = `${binary}.partial`;
  let stripped = injectSea(target.node, partial, seaMain, assets);

  // Each bundle's code cache, made by this binary after a real command run: V8 adds every function compiled by then,
  // so a start deserializes the command path instead of compiling it. The app's is made by `init` (a command that
  // writes: config, SQLite, migrations, argon2, audit), the core's by `users list`. A cache made by another Node or
  // other V8 flags is rejected at run time and the bundle compiles from source, as without one.
  const appCache = path.join(DIST, 'app.cache');
  const coreCache = path.join(DIST, 'core.cache');
  rmSync(appCache, { force: true });
  rmSync(coreCache, { force: true });
  const warmUp = mkdtempSync(path.join(os.tmpdir(), 'kimauth-code-cache-'));
  try {
    const env = { PATH: process.env.PATH, HOME: warmUp, XDG_CACHE_HOME: path.join(warmUp, 'cache'), KIMAUTH_DATA_DIR: path.join(warmUp, 'data') };
    execFileSync(partial, ['init', '--yes', '--admin-email', 'build@example.invalid', '--json'], { env: { ...env, [WRITE_CACHE_ENV]: appCache }, stdio: 'ignore' });
    execFileSync(partial, ['users', 'list', '--json'], { env: { ...env, [WRITE_CACHE_ENV]: coreCache }, stdio: 'ignore' });
  } finally {
    rmSync(warmUp, { recursive: true, force: true });
  }
  for (const cache of [appCache, coreCache]) if (!existsSync(cache)) throw new Error(`the warm-up run wrote no code cache ${cache}`);
  assets[APP_CACHE_ASSET] = appCache;
  assets[CORE_CACHE_ASSET] = coreCache;
  stripped = injectSea(target.node, partial, seaMain, assets);
  renameSync(partial, binary);

  const bytes = statSync(binary).size;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `built ${path.relative(process.cwd(), binary) || binary}: ${(bytes / 2 ** 20).toFixed(1)} MiB` +
      `${stripped ? ' (stripped node)' : ''}, Node ${nodeVersion}, ${Object.keys(assets).length} assets, ${seconds.toFixed(1)} s`,
  );
  return { binary, bytes, seconds, nodeVersion };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  Promise.resolve()
    .then(() => buildBinary(targetNode(process.argv.slice(2))))
    .catch((err: Error) => {
      console.error(`build:binary failed: ${err.stack ?? err.message}`);
      process.exitCode = 1;
    });
}
