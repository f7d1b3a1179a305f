import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { KIMAUTH_BIN, ROOT } from '../support/processes.ts';

describe('a reader that closes the pipe early (`kimauth … | head -1`)', () => {
  it('ends the command quietly: exit 0, no stack trace', async () => {
    const child = spawn(process.execPath, [KIMAUTH_BIN, 'users', 'create', '--help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Read the first chunk, then close our end, as `head -1` does.
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code] = (await once(child, 'close')) as [number | null];
    expect(stderr).not.toMatch(/EPIPE|at .*\(/);
    expect(code).toBe(0);
  });
});
