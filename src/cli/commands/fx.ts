import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { euroRateOn, importEcbRates } from '../../fx/reference-rates.ts';
import type { CliContext } from '../context.ts';

/** `kimauth fx import|rate`: ECB euro reference rates, loaded from the ECB's CSV (these machines have no internet). */
export function registerFxCommand(program: Command, ctx: CliContext): void {
  const fx = program
    .command('fx')
    .description('ECB euro reference rates for OSS returns: import the ECB CSV, look a rate up')
    .addHelpText('after', '\nExamples:\n  $ kimauth fx import eurofxref-hist.csv\n  $ kimauth fx rate --currency USD --date 2026-09-30');

  fx.command('import <file>')
    .description('load an ECB reference-rate CSV (history file or daily file); re-importing is harmless')
    .addHelpText('after', '\nExample:\n  $ kimauth fx import test/fixtures/fx/ecb-sample.csv --json')
    .action(async (file: string, _opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          throw validationError(`Cannot read ${file}: ${(err as Error).message}`);
        }
        const report = importEcbRates(deps, file, text, cliActor());
        out.result(report, () =>
          out.line(
            `Imported ${report.added} new and ${report.changed} changed rates (${report.unchanged} unchanged) for ${report.currencies.length} currencies, ${report.firstDay ?? '—'} to ${report.lastDay ?? '—'}`,
          ),
        );
      }),
    );

  fx.command('rate')
    .description('the rate a return uses for a currency on a day (that day, or the next ECB publication)')
    .requiredOption('--currency <code>', 'ISO 4217 code, e.g. USD')
    .requiredOption('--date <YYYY-MM-DD>', 'the day, e.g. the last day of a quarter')
    .addHelpText('after', '\nExample:\n  $ kimauth fx rate --currency USD --date 2026-09-30')
    .action(async (opts: { currency: string; date: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.date)) throw validationError('--date must be YYYY-MM-DD');
        const rate = euroRateOn(deps, opts.currency.toUpperCase(), opts.date);
        out.result(rate, () => out.line(`1 EUR = ${rate.rate} ${rate.currency} (ECB, ${rate.day})`));
      }),
    );
}
