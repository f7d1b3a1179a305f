import path from 'node:path';
import type { Deps } from '../app/deps.ts';
import { systemActor } from '../audit/actors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { findTenant } from '../tenants/tenants.ts';
import { previousQuarter, quarterContaining } from '../vat/quarters.ts';
import { tenantIdsWithVat } from '../vat/settings.ts';
import { removeStaleTempFiles, reportsDirOf, writeOssReport, type WriteReportOptions } from './report-files.ts';
import { insertReportRun, reportRunExists } from './store.ts';

export const OSS_QUARTERLY_JOB = 'oss-quarterly-reports';
/** Attempts per tenant within one run; a tenant still failing is tried again on the next run. */
const ATTEMPTS = 3;

export interface QuarterlyRunReport {
  quarter: string;
  generated: Array<{ tenant: string; files: string[] }>;
  skipped: string[];
  failed: Array<{ tenant: string; error: string }>;
}

/**
 * Writes the previous quarter's return of every tenant with VAT settings, once: a tenant whose run is recorded
 * (oss_report_runs) is skipped. Files are written atomically first and the run recorded and audited after, so
 * a run killed midway leaves no partial file and no record, and the next run writes the same files again.
 */
export function runQuarterlyReports(deps: Deps, options: Pick<WriteReportOptions, 'afterFile'> = {}): QuarterlyRunReport {
  const quarter = previousQuarter(quarterContaining(deps.clock.nowMs()));
  const report: QuarterlyRunReport = { quarter: quarter.key, generated: [], skipped: [], failed: [] };
  const actor = systemActor(OSS_QUARTERLY_JOB);
  for (const tenantId of tenantIdsWithVat(deps)) {
    const tenant = findTenant(deps, tenantId);
    if (!tenant || tenant.status !== 'active') continue;
    if (reportRunExists(deps, tenant.id, quarter.key)) {
      report.skipped.push(tenant.slug);
      continue;
    }
    removeStaleTempFiles(reportsDirOf(deps, tenant.slug));
    let lastError = '';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const written = writeOssReport(deps, tenant.id, quarter.key, { afterFile: options.afterFile });
        const names = written.files.map((f) => path.basename(f));
        deps.sqlite.transaction(() => {
          if (reportRunExists(deps, tenant.id, quarter.key)) return;
          insertReportRun(deps, tenant.id, quarter.key, names, deps.clock.nowMs());
          deps.audit.append(tenant.id, {
            actor,
            type: 'oss.report_generated',
            target: { type: 'oss_report', id: quarter.key },
            payload: { quarter: quarter.key, files: names, totalVatDue: written.return.totalVatDueCents, nil: written.return.nil },
          });
        })();
        report.generated.push({ tenant: tenant.slug, files: written.files });
        lastError = '';
        break;
      } catch (err) {
        lastError = (err as Error).message;
        deps.logger.warn({ job: OSS_QUARTERLY_JOB, tenant: tenant.slug, quarter: quarter.key, attempt, err: lastError }, 'OSS report failed');
      }
    }
    if (lastError) report.failed.push({ tenant: tenant.slug, error: lastError });
  }
  return report;
}

/**
 * Daily at 01:10 UTC: on the first day of a quarter it writes the previous quarter's reports; the other days
 * it finds them recorded and does nothing, or catches up a day the server was down or a tenant failed.
 */
export function registerOssQuarterlyJob(scheduler: Scheduler, deps: Deps): void {
  scheduler.register({
    name: OSS_QUARTERLY_JOB,
    cronTime: '0 10 1 * * *',
    run: () => {
      const report = runQuarterlyReports(deps);
      if (report.generated.length || report.failed.length) deps.logger.info(report, 'OSS quarterly reports');
      if (report.failed.length) deps.logger.error({ failed: report.failed }, 'OSS quarterly reports failed for some tenants; retried on the next run');
    },
  });
}
