import path from 'node:path';
import { Option, type Command } from 'commander';
import { formatMinor } from '../../money/minor-units.ts';
import { parseFormats, writeOssReports, type WrittenReport } from '../../oss/report-files.ts';
import type { CliContext } from '../context.ts';

export function reportSummaryJson(w: WrittenReport) {
  const r = w.return;
  return {
    tenant: r.tenant.slug,
    quarter: r.quarter.key,
    period: r.quarter.label,
    sellerVatId: r.seller.vatId.value,
    provisional: r.provisional,
    nil: r.nil,
    memberStates: r.memberStates.length,
    corrections: r.corrections.length,
    totalTaxableEur: formatMinor(r.totalTaxableCents),
    totalVatDueEur: formatMinor(r.totalVatDueCents),
    rowsRead: r.rowsRead,
    fxRates: r.fxRates,
    files: w.files,
  };
}

/** `kimauth oss-report --quarter 2026-Q3`: writes the quarterly OSS return (XML and/or CSV). */
export function registerOssReportCommand(program: Command, ctx: CliContext): void {
  program
    .command('oss-report')
    .description('write the One-Stop-Shop VAT return of a quarter (Belgian OSS XML and a CSV for people)')
    .requiredOption('--quarter <quarter>', 'e.g. 2026-Q3; the current quarter is marked provisional')
    .option('--tenant <tenant>', 'one tenant (default: every tenant with VAT settings)')
    .addOption(new Option('--format <format>', 'which files').choices(['xml', 'csv', 'both']).default('both'))
    .option('--out <dir>', 'where to write (default: <data-dir>/reports/<slug>/)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth oss-report --quarter 2026-Q3 --tenant acme\n  $ kimauth oss-report --quarter 2026-Q3 --format csv --out ./returns --json',
    )
    .action(async (opts: { quarter: string; tenant?: string; format: string; out?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const onProgress = out.isTerminal && !out.json ? (rows: number, total: number) => out.note(`  ${rows.toLocaleString('en')} ledger rows read (${total.toLocaleString('en')} payments in the quarter)`) : undefined;
        const written = writeOssReports(deps, opts.quarter, {
          tenant: opts.tenant,
          formats: parseFormats(opts.format),
          outDir: opts.out ? path.resolve(opts.out) : undefined,
          onProgress,
        });
        out.result(written.map(reportSummaryJson), () => {
          for (const w of written) {
            const r = w.return;
            const flags = [r.provisional ? 'PROVISIONAL' : '', r.nil ? 'nil return' : ''].filter(Boolean).join(', ');
            out.line(`${r.tenant.slug} ${r.quarter.label}${flags ? ` (${flags})` : ''}: taxable ${formatMinor(r.totalTaxableCents)} EUR, VAT due ${formatMinor(r.totalVatDueCents)} EUR`);
            for (const file of w.files) out.line(`  wrote ${file}`);
          }
        });
      }),
    );
}
