import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommittedReadCache } from '../../src/db/committed-read-cache.ts';
import { tempDir } from '../support/deps.ts';

/** Two real connections on one WAL file: the server's, and a shell command's (`kimauth tenants update`). */
describe('committed-read cache', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: Database.Database;
  let shell: Database.Database;
  let reads: number;
  const nameOf = (db: Database.Database) => () => {
    reads++;
    const row = db.prepare('SELECT name FROM t WHERE id = 1').get() as { name: string } | undefined;
    return row ? { ...row } : undefined;
  };

  beforeEach(() => {
    dir = tempDir('kimauth-cache-');
    server = new Database(`${dir.path}/db`);
    server.pragma('journal_mode = WAL');
    server.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'one')");
    shell = new Database(`${dir.path}/db`);
    reads = 0;
  });
  afterEach(() => {
    server.close();
    shell.close();
    dir.remove();
  });

  it('answers from memory while nothing changed, and sees another connection’s commit at the next read', () => {
    const cache = createCommittedReadCache<{ name: string }>(server);
    expect(cache.get('1', nameOf(server))?.name).toBe('one');
    expect(cache.get('1', nameOf(server))?.name).toBe('one');
    expect(reads).toBe(1);
    shell.prepare("UPDATE t SET name = 'uno' WHERE id = 1").run();
    expect(cache.get('1', nameOf(server))?.name).toBe('uno');
    expect(reads).toBe(2);
  });

  it('forgets on invalidate (the owning store’s own writes)', () => {
    const cache = createCommittedReadCache<{ name: string }>(server);
    cache.get('1', nameOf(server));
    server.prepare("UPDATE t SET name = 'eins' WHERE id = 1").run();
    cache.invalidate();
    expect(cache.get('1', nameOf(server))?.name).toBe('eins');
  });

  it('keeps nothing read inside a transaction, so a rolled-back value is never served', () => {
    const cache = createCommittedReadCache<{ name: string }>(server);
    expect(() =>
      server.transaction(() => {
        server.prepare("UPDATE t SET name = 'draft' WHERE id = 1").run();
        cache.invalidate();
        expect(cache.get('1', nameOf(server))?.name).toBe('draft');
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(cache.get('1', nameOf(server))?.name).toBe('one');
  });

  it('does not keep unknown keys, and shares frozen values', () => {
    const cache = createCommittedReadCache<{ name: string }>(server);
    const missing = () => (reads++, undefined);
    cache.get('nope', missing);
    cache.get('nope', missing);
    expect(reads).toBe(2);
    const value = cache.get('1', nameOf(server))!;
    expect(Object.isFrozen(value)).toBe(true);
  });
});
