import type { Deps } from '../app/deps.ts';

/** All SQL of the OSS context: which quarterly reports the scheduler has written. */
export function reportRunExists(deps: Deps, tenantId: string, quarter: string): boolean {
  return deps.statement('SELECT 1 FROM oss_report_runs WHERE tenant_id = ? AND quarter = ?').get(tenantId, quarter) !== undefined;
}

export function insertReportRun(deps: Deps, tenantId: string, quarter: string, files: string[], generatedAt: number): void {
  deps
    .statement('INSERT INTO oss_report_runs (tenant_id, quarter, files, generated_at) VALUES (?, ?, ?, ?)')
    .run(tenantId, quarter, JSON.stringify(files), generatedAt);
}
