import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';

describe('CLI: tenants entitlements', () => {
  let dir: { path: string; remove(): void };
  let dataDir: string;
  beforeEach(async () => {
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
    expect((await run('init', '--yes')).code).toBe(0);
    expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
  });
  afterEach(() => dir.remove());

  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv]);

  it('sets and shows the modules of a tenant, defining new ones on the way', async () => {
    const set = await run('tenants', 'entitlements', 'set', 'acme', '--modules', 'basic,finance,crm', '--json');
    expect(set.code).toBe(0);
    expect(set.json()).toMatchObject({ tenant: 'acme', modules: ['basic', 'crm', 'finance'], source: 'local' });

    const table = await run('tenants', 'entitlements', 'show', 'acme');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/crm\s*│\s*yes/);
    expect(table.stdout).toMatch(/venue\s*│\s*no/);

    const cleared = await run('tenants', 'entitlements', 'set', 'acme', '--modules', '', '--json');
    expect(cleared.json()).toMatchObject({ modules: [] });

    expect((await run('tenants', 'entitlements', 'set', 'acme', '--modules', 'Bad Name')).code).toBe(2);
    expect((await run('tenants', 'entitlements', 'show', 'nope')).code).toBe(1);
    for (const argv of [['tenants', 'entitlements'], ['tenants', 'entitlements', 'set']]) {
      expect((await cli([...argv, '--help'])).stdout).toMatch(/Examples?:/);
    }
  });
});
