import type { Statement } from 'better-sqlite3';
import type { Sqlite } from './client.ts';

const cache = new WeakMap<Sqlite, Map<string, Statement>>();

/**
 * A statement prepared once per connection and reused (ARCHITECTURE rule 8). For hot paths (sign-in, refresh,
 * Bearer checks) where building a drizzle query per request costs more than the query itself.
 */
export function prepared(sqlite: Sqlite, sql: string): Statement {
  let statements = cache.get(sqlite);
  if (!statements) {
    statements = new Map();
    cache.set(sqlite, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = sqlite.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
