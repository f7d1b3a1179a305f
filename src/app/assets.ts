import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Files that ship with kimauth (migrations, email templates, pages). In a checkout they are read from the
 * package root; the single binary embeds them as SEA assets under the same relative paths.
 */
type SeaModule = { isSea(): boolean; getAsset(key: string, encoding: string): string };

function seaModule(): SeaModule | undefined {
  try {
    // node:sea exists on Node >= 20; only answers isSea() inside a single executable.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = (globalThis as { process: NodeJS.Process }).process.getBuiltinModule?.('node:sea') as
      | SeaModule
      | undefined;
    return sea?.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this process is the single binary (its files are SEA assets, its executable is kimauth itself). */
export function isSingleExecutable(): boolean {
  return seaModule() !== undefined;
}

let packageRootCache: string | undefined;

export function packageRoot(): string {
  if (packageRootCache) return packageRootCache;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('kimauth: cannot find the package root');
    dir = parent;
  }
  packageRootCache = dir;
  return dir;
}

/** Reads a shipped text file by its path relative to the package root, e.g. `migrations/meta/_journal.json`. */
export function readAsset(relativePath: string): string {
  const sea = seaModule();
  if (sea) return sea.getAsset(relativePath, 'utf8');
  return readFileSync(path.join(packageRoot(), relativePath), 'utf8');
}
