import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadSnapshot, openDatabase, type DatabaseHandle } from '../../src/db/client.ts';

describe('readSnapshot: several reads in one read transaction', () => {
  let dir: string;
  let reader: DatabaseHandle;
  let writer: DatabaseHandle;
  let snapshot: ReturnType<typeof createReadSnapshot>;
  const valueOf = (db: DatabaseHandle) => (db.sqlite.prepare('SELECT v FROM t WHERE k = 1').get() as { v: number }).v;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kimauth-snapshot-'));
    const file = path.join(dir, 'kimauth.db');
    reader = openDatabase(file);
    reader.sqlite.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1)');
    // Another connection, as a CLI command on the same data dir while `serve` runs.
    writer = openDatabase(file);
    snapshot = createReadSnapshot(reader.sqlite);
  });
  afterAll(() => {
    reader.close();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads one state of the store, even when another process commits in between; later reads see the commit', () => {
    const seen = snapshot(() => {
      const first = valueOf(reader);
      writer.sqlite.prepare('UPDATE t SET v = v + 1 WHERE k = 1').run();
      return [first, valueOf(reader)];
    });
    expect(seen).toEqual([1, 1]);
    expect(reader.sqlite.inTransaction).toBe(false);
    expect(valueOf(reader)).toBe(2);
  });

  it('ends the transaction when the work throws, and passes the error on', () => {
    expect(() =>
      snapshot(() => {
        valueOf(reader);
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(reader.sqlite.inTransaction).toBe(false);
    // The writer is not blocked by a reader left behind.
    writer.sqlite.prepare('UPDATE t SET v = 10 WHERE k = 1').run();
    expect(valueOf(reader)).toBe(10);
  });

  it('inside a transaction it just runs the work; asynchronous work is refused', () => {
    const inner = reader.sqlite.transaction(() => snapshot(() => reader.sqlite.inTransaction))();
    expect(inner).toBe(true);
    expect(() => snapshot(async () => valueOf(reader))).toThrow(/synchronous/);
    expect(reader.sqlite.inTransaction).toBe(false);
  });
});
