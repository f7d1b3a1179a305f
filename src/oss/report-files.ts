import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Deps } from '../app/deps.ts';
import { AppError, validationError } from '../app/errors.ts';
import { tenantIdsWithVat } from '../vat/settings.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getTenant } from '../tenants/tenants.ts';
import { parseQuarter } from '../vat/quarters.ts';
import { renderBelgianXml } from './be-xml.ts';
import { renderCsv } from './csv.ts';
import { buildOssReturn, type BuildOptions, type OssReturn } from './oss-return.ts';

export const REPORT_FORMATS = ['xml', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `xml`, `csv` or `both` → the formats to write. */
export function parseFormats(text = 'both'): ReportFormat[] {
  if (text === 'both') return ['xml', 'csv'];
  if ((REPORT_FORMATS as readonly string[]).includes(text)) return [text as ReportFormat];
  throw validationError(`--format must be xml, csv or both (got "${text}")`);
}

/** The file for one format; the XML follows the tenant's OSS format (be-xml so far). */
export function renderReport(ret: OssReturn, format: ReportFormat): string {
  return format === 'xml' ? renderBelgianXml(ret) : renderCsv(ret);
}

const TEMP_SUFFIX = '.tmp';

/**
 * Writes `content` to `file` so that a reader sees the old file or the whole new one, never a part: a temp
 * file in the same directory, flushed, then renamed over the target.
 */
export function writeFileAtomically(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
  const fd = openSync(temp, 'w', 0o640);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Temp files a killed run left behind in `dir`. */
export function removeStaleTempFiles(dir: string): number {
  let removed = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) {
      rmSync(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** `<data-dir>/reports/<slug>`: where `serve` puts quarterly reports. */
export function reportsDirOf(deps: Deps, slug: string): string {
  return path.join(deps.config.dataDir, 'reports', slug);
}

export interface WrittenReport {
  return: OssReturn;
  files: string[];
}

export interface WriteReportOptions extends BuildOptions {
  formats?: ReportFormat[];
  /** Defaults to `<data-dir>/reports/<slug>`. */
  outDir?: string;
  /** Called after each file is in place (the job's restart test stops a run here). */
  afterFile?: (file: string) => void;
}

/** Builds a tenant's return for a quarter and writes `<quarter>.xml` / `.csv` atomically. */
export function writeOssReport(deps: Deps, tenantRef: string, quarter: string, options: WriteReportOptions = {}): WrittenReport {
  const tenant = getTenant(deps, tenantRef);
  const ret = buildOssReturn(deps, tenant, quarter, options);
  const dir = options.outDir ?? reportsDirOf(deps, tenant.slug);
  const files: string[] = [];
  for (const format of options.formats ?? parseFormats()) {
    const file = path.join(dir, `${ret.quarter.key}.${format}`);
    writeFileAtomically(file, renderReport(ret, format));
    files.push(file);
    options.afterFile?.(file);
  }
  return { return: ret, files };
}

export interface ReportRequest extends Omit<WriteReportOptions, 'outDir' | 'afterFile'> {
  /** One tenant; every tenant with VAT settings when omitted. */
  tenant?: string;
  /** With one tenant the files go here; with all, into `<outDir>/<slug>/`. Defaults to `<data-dir>/reports/<slug>`. */
  outDir?: string;
}

/** `kimauth oss-report`: one tenant's return, or every tenant's with VAT settings. */
export function writeOssReports(deps: Deps, quarter: string, request: ReportRequest = {}): WrittenReport[] {
  parseQuarter(quarter); // a malformed quarter is a usage error before anything else
  if (request.tenant) return [writeOssReport(deps, request.tenant, quarter, request)];
  const ids = tenantIdsWithVat(deps);
  if (ids.length === 0) throw new AppError('conflict', 'No tenant has VAT settings; set them with `kimauth tenants vat set SLUG --vat-id … --member-state …`');
  return ids.map((id) => {
    const slug = getTenant(deps, id).slug;
    return writeOssReport(deps, id, quarter, { ...request, outDir: request.outDir ? path.join(request.outDir, slug) : undefined });
  });
}

/** `GET /t/{slug}/api/v1/oss-reports/2026-Q3.xml|.csv`: the return built on request for finance staff. */
export function renderOssReportAs(deps: Deps, caller: Principal, slug: string, quarter: string, format: ReportFormat): string {
  const tenant = getTenant(deps, slug);
  authorize(deps, caller, 'ossReport.read', { companyId: tenant.id });
  return renderReport(buildOssReturn(deps, tenant, quarter), format);
}
