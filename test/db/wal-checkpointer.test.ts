import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.ts';
import { INLINE_AUTOCHECKPOINT_PAGES, startWalCheckpointer, type WalCheckpointer } from '../../src/db/wal-checkpointer.ts';
import { tempDir } from '../support/deps.ts';
import { KIMAUTH_BIN, runKimauth, startServeProcess } from '../support/processes.ts';

const quietLogger = { info: () => undefined, warn: () => undefined };
const childrenOf = (pid: number) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A real helper process (`kimauth internal wal-checkpointer`) on a real WAL database. */
describe('WAL checkpoints in a helper process', () => {
  let dir: ReturnType<typeof tempDir>;
  let handle: DatabaseHandle;
  let checkpointer: WalCheckpointer | undefined;
  const file = () => path.join(dir.path, 'kimauth.db');
  const start = () =>
    startWalCheckpointer({
      sqlite: handle.sqlite,
      command: { command: process.execPath, args: [KIMAUTH_BIN, 'internal', 'wal-checkpointer', '--database', file(), '--interval-ms', '20'] },
      logger: quietLogger,
    });

  beforeEach(() => {
    dir = tempDir('kimauth-wal-');
    handle = openDatabase(file());
    handle.sqlite.exec('CREATE TABLE filler (x BLOB)');
  });
  afterEach(async () => {
    await checkpointer?.stop();
    handle.close();
    dir.remove();
  });

  it('copies the WAL into the database while this connection never checkpoints', { timeout: 30_000 }, async () => {
    checkpointer = await start();
    expect(checkpointer.running()).toBe(true);
    expect(handle.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(file()).size;
    const insert = handle.sqlite.prepare('INSERT INTO filler VALUES (randomblob(3000))');
    for (let i = 0; i < 2000; i++) insert.run();
    // Only the helper copies pages back: this connection's inline checkpoints are off.
    await until(() => statSync(file()).size > before + 4_000_000, 'the database file to take the WAL pages');
  });

  it('gives checkpoints back to SQLite at once when the helper dies, and stops it on stop()', { timeout: 30_000 }, async () => {
    checkpointer = await start();
    const [helper] = childrenOf(process.pid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('wal-checkpointer'));
    expect(helper).toBeGreaterThan(0);
    process.kill(helper, 'SIGKILL');
    await until(() => !checkpointer!.running(), 'the helper’s exit to be noticed');
    expect(handle.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(INLINE_AUTOCHECKPOINT_PAGES);

    const second = await start();
    const [next] = childrenOf(process.pid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('wal-checkpointer'));
    await second.stop();
    await until(() => !alive(next), 'the helper to exit after stop()');
    expect(handle.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(INLINE_AUTOCHECKPOINT_PAGES);
  });

  it('a database that cannot be opened leaves checkpoints inline and serve running', { timeout: 30_000 }, async () => {
    checkpointer = await startWalCheckpointer({
      sqlite: handle.sqlite,
      command: { command: process.execPath, args: [KIMAUTH_BIN, 'internal', 'wal-checkpointer', '--database', path.join(dir.path, 'missing.db')] },
      logger: quietLogger,
    });
    expect(checkpointer.running()).toBe(false);
    expect(handle.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(INLINE_AUTOCHECKPOINT_PAGES);
  });

  it('serve starts its helper, and the helper ends with serve even after kill -9', { timeout: 60_000 }, async () => {
    const dataDir = path.join(dir.path, 'data');
    expect((await runKimauth(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--json'])).code).toBe(0);
    const server = await startServeProcess(dataDir);
    const pid = server.child.pid!;
    await until(() => childrenOf(pid).length > 0, 'serve’s helper process');
    const [helper] = childrenOf(pid);
    expect(readFileSync(`/proc/${helper}/cmdline`, 'utf8')).toContain('wal-checkpointer');
    expect(server.logs()).toContain('WAL checkpoints run in a helper process');
    await server.stop('SIGKILL');
    await until(() => !alive(helper), 'the helper to exit with its parent');
  });
});
