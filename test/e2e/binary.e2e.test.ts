import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/app/version.ts';
import { bundleForSea } from '../../scripts/binary/bundle.ts';
import { tempDir } from '../support/deps.ts';
import { ROOT, runKimauth, startServeProcess } from '../support/processes.ts';
import { DEFAULT_BINARY_NODE, nodeRuntime } from '../../scripts/node-runtime.ts';

const BINARY = path.join(ROOT, 'dist/kimauth');
/** Everything the binary is built from; a dist/kimauth older than any of these is rebuilt. */
const BUILD_INPUTS = ['src', 'migrations', 'templates', 'scripts/build-binary.ts', 'scripts/binary', 'scripts/node-runtime.ts', 'package.json', 'package-lock.json'];

function newestMtime(file: string): number {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((name) => newestMtime(path.join(file, name))));
}

/** Reuses dist/kimauth when it is newer than its sources and the Node 24 it embeds; builds it otherwise. */
async function freshBinary(): Promise<string> {
  const inputs = [...BUILD_INPUTS.map((p) => path.join(ROOT, p)), realpathSync(nodeRuntime().node)].filter(existsSync);
  const newestInput = Math.max(...inputs.map(newestMtime));
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs > newestInput) return BINARY;

  const build = spawn(process.execPath, ['--import', 'tsx', 'scripts/build-binary.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  build.stdout.on('data', (d) => (output += d));
  build.stderr.on('data', (d) => (output += d));
  const [code] = (await once(build, 'close')) as [number | null];
  if (code !== 0) throw new Error(`npm run build:binary failed (${code}):\n${output}`);
  return BINARY;
}

/** Files (relative) under a directory, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/**
 * The built executable, run from an empty temp directory with an environment of PATH only (plus a cache
 * location), so neither node_modules nor the checkout's files can be reached.
 */
describe('e2e: the single binary (dist/kimauth)', () => {
  const dir = tempDir('kimauth-binary-');
  const cwd = path.join(dir.path, 'elsewhere');
  const cache = path.join(dir.path, 'cache');
  const env = { HOME: undefined, XDG_CACHE_HOME: cache };
  let binary: string;

  beforeAll(async () => {
    binary = await freshBinary();
    writeFileSync(path.join(dir.path, 'placeholder'), '');
    mkdirSync(cwd);
  }, 600_000);

  afterAll(() => dir.remove());

  it('prints its version and the Node 24 it embeds, without unpacking a native addon', async () => {
    const run = await runKimauth(['--version'], { executable: [binary], cwd, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`${VERSION} (Node.js v${DEFAULT_BINARY_NODE})`);
    // Command groups load lazily: --version needs neither SQLite nor argon2.
    expect(filesUnder(path.join(cache, 'kimauth/native'))).toEqual([]);
    // A bare --version is answered by the loader (scripts/binary/sea-main.ts) without the app; with any other
    // argument the app (commander) prints it: the same line.
    const throughApp = await runKimauth(['--quiet', '--version'], { executable: [binary], cwd, env });
    expect(throughApp.stdout).toBe(run.stdout);
  });

  it('unpacks the native addons once when several cold starts need them at once', async () => {
    const runs = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        runKimauth(['--data-dir', path.join(dir.path, `cold-${n}`), 'init', '--yes', '--admin-email', 'root@example.com', '--json'], {
          executable: [binary],
          cwd,
          env,
        }),
      ),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const unpacked = filesUnder(path.join(cache, 'kimauth/native'));
    expect(unpacked).toContainEqual(expect.stringMatching(/^[0-9a-f]{64}\/argon2\.[\w-]+\.node$/));
    expect(unpacked).toContainEqual(expect.stringMatching(/^[0-9a-f]{64}\/better_sqlite3\.node$/));
    expect(unpacked.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('falls back to a private directory under TMPDIR when the cache location is unusable', async () => {
    const tmp = path.join(dir.path, 'tmp');
    mkdirSync(tmp);
    // A regular file where the cache directory should be: mkdir fails even for root.
    const run = await runKimauth(['--data-dir', path.join(dir.path, 'tmp-fallback'), 'init', '--yes', '--admin-email', 'root@example.com'], {
      executable: [binary],
      cwd,
      env: { HOME: undefined, XDG_CACHE_HOME: path.join(dir.path, 'placeholder'), TMPDIR: tmp },
    });
    expect(run.code, run.stderr).toBe(0);
    const uid = process.getuid?.() ?? 0;
    expect(filesUnder(path.join(tmp, `kimauth-${uid}`, 'native'))).toContainEqual(expect.stringMatching(/argon2\.[\w-]+\.node$/));
    expect(statSync(path.join(tmp, `kimauth-${uid}`)).mode & 0o077).toBe(0);
  });

  it('runs init (migrations from embedded assets, argon2, SQLite) and serves health, JWKS and OpenAPI', async () => {
    const dataDir = path.join(dir.path, 'data');
    const init = await runKimauth(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'root@example.com', '--json'], {
      executable: [binary],
      cwd,
      env,
    });
    expect(init.code, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ adminEmail: 'root@example.com' });
    expect(filesUnder(path.join(cache, 'kimauth/native'))).toContainEqual(expect.stringMatching(/better_sqlite3\.node$/));
    // users list and show run in the binary's CLI core bundle (src/cli/core-commands.ts), not the full app.
    const listed = await runKimauth(['--data-dir', dataDir, 'users', 'list', '--json'], { executable: [binary], cwd, env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ total: 1, users: [{ email: 'root@example.com' }] });
    const shown = await runKimauth(['--data-dir', dataDir, 'users', 'show', 'root@example.com', '--json'], { executable: [binary], cwd, env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ email: 'root@example.com' });

    const server = await startServeProcess(dataDir, { executable: [binary], cwd, env });
    try {
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect((await health.json()).data.status).toBe('ok');
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);

      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
      expect(jwks.keys.length).toBeGreaterThan(0);
      expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig' });
      expect(jwks.keys[0]).not.toHaveProperty('d');

      const openapi = await fetch(`${server.url}/openapi.json`);
      expect(openapi.status).toBe(200);
      expect((await openapi.json()).paths).toHaveProperty(['/health']);
      // The API reference renderer is embedded like the migrations.
      const redoc = await fetch(`${server.url}/docs/redoc.standalone.js`);
      expect(redoc.status).toBe(200);
      expect((await redoc.text()).length).toBeGreaterThan(500_000);
    } finally {
      const stopped = await server.stop('SIGTERM');
      expect(stopped.code, stopped.stderr).toBe(0);
    }
  });
});

describe('the SEA bundler (scripts/binary/bundle.ts)', () => {
  const dir = tempDir('kimauth-bundle-');
  afterAll(() => dir.remove());

  it('bundles ink views into one CommonJS file, with yoga-layout loaded without top-level await', async () => {
    const outfile = path.join(dir.path, 'ink-probe.cjs');
    const bundle = await bundleForSea({ entry: path.join(ROOT, 'test/support/ink-probe.ts'), outfile });
    expect(bundle.warnings).toEqual([]);
    const run = await runKimauth([], { executable: [process.execPath, outfile], cwd: dir.path, env: { HOME: undefined } });
    expect(run.code, run.stderr).toBe(0);
    // `gap: 2` puts two columns between the words only if yoga computed the layout.
    expect(run.stdout).toContain('ink  bundled');
  });
});
