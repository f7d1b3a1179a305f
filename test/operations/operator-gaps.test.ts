import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';

/** Issue 14 §5: a new tenant has a published head at once (serve's start-up publish is covered in metrics.test.ts). */
describe('tenants create publishes the new tenant\'s first audit head', () => {
  const dir = tempDir('kimauth-gaps-');
  const dataDir = path.join(dir.path, 'data');
  beforeAll(async () => {
    const init = await cli(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--admin-password-stdin'], { stdin: 'gaps-password-1' });
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(() => dir.remove());

  it('GET /t/{slug}/audit/head has something to answer from the first second', async () => {
    expect((await cli(['--data-dir', dataDir, 'tenants', 'create', '--slug', 'fresh', '--name', 'Fresh'])).code).toBe(0);
    const heads = await cli(['--data-dir', dataDir, 'audit', 'heads', 'list', '--tenant', 'fresh', '--json']);
    expect(heads.code, heads.stderr).toBe(0);
    const list = heads.json<Array<{ slug: string; seq: number }>>();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ slug: 'fresh', seq: 2 });
  });
});
