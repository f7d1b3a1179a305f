import type { Deps } from '../../app/deps.ts';

/** Read-only SQL of `kimauth doctor`. Tables other capabilities own are read by name, only when they exist. */

export function tableExists(deps: Deps, name: string): boolean {
  return deps.statement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Webhook tables (any name with "webhook") that have a `status` column, with their rows in status `failed`. */
export function failedWebhookRows(deps: Deps): Array<{ table: string; failed: number }> {
  const tables = deps.statement("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%webhook%' ORDER BY name").pluck().all() as string[];
  const found: Array<{ table: string; failed: number }> = [];
  for (const table of tables) {
    if (!/^[a-z_][a-z0-9_]*$/i.test(table)) continue;
    const columns = deps.statement('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
    if (!columns.includes('status')) continue;
    const failed = deps.statement(`SELECT count(*) FROM "${table}" WHERE status IN ('failed', 'dead', 'dead_letter')`).pluck().get() as number;
    found.push({ table, failed });
  }
  return found;
}
