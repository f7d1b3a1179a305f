import type { Deps } from '../app/deps.ts';

/**
 * Read-only SQL behind the /metrics gauges, evaluated at scrape time only (never on a request path). Tables of
 * other contexts are read by name and only when they exist, so the gauges also cover outboxes that other
 * capabilities add later (a webhook outbox) without a change here.
 */

/** Tables whose name matches `pattern` (SQL LIKE) and that have a `status` column. */
export function tablesWithStatus(deps: Deps, pattern: string): string[] {
  const names = deps
    .statement("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ORDER BY name")
    .pluck()
    .all(pattern) as string[];
  return names.filter((name) =>
    (deps.statement(`SELECT name FROM pragma_table_info(?)`).pluck().all(name) as string[]).includes('status'),
  );
}

/** Rows per `status` of a table found by tablesWithStatus. */
export function countByStatus(deps: Deps, table: string): Array<{ status: string; count: number }> {
  if (!/^[a-z_][a-z0-9_]*$/i.test(table)) throw new Error(`not a table name: ${table}`);
  return deps.statement(`SELECT status, count(*) AS count FROM "${table}" GROUP BY status`).all() as Array<{
    status: string;
    count: number;
  }>;
}
