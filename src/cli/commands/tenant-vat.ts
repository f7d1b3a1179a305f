import { Option, type Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { getTenant } from '../../tenants/tenants.ts';
import { findVatSettings, OSS_FORMATS, OSS_SCHEMES, setVatSettings, type TenantVatSettings } from '../../vat/settings.ts';
import type { CliContext } from '../context.ts';
import type { Output } from '../output.ts';

export function vatSettingsJson(slug: string, s: TenantVatSettings) {
  return { tenant: slug, vatId: s.vatId.value, memberState: s.memberState, ossFormat: s.ossFormat, scheme: s.scheme, updatedAt: s.updatedAt };
}

function render(out: Output, slug: string, s: TenantVatSettings | null): void {
  out.result(s ? vatSettingsJson(slug, s) : { tenant: slug, vatId: null }, () => {
    if (!s) return out.line(`${slug} has no VAT settings (kimauth tenants vat set ${slug} --vat-id … --member-state …)`);
    out.record([
      ['tenant', slug],
      ['VAT ID', s.vatId.value],
      ['member state', s.memberState],
      ['OSS format', s.ossFormat],
      ['scheme', s.scheme],
      ['updated', s.updatedAt],
    ]);
  });
}

/** `kimauth tenants vat set|show`: the seller's VAT ID and OSS settings of a tenant. */
export function registerTenantVatCommands(tenants: Command, ctx: CliContext): void {
  const vat = tenants
    .command('vat')
    .description("show or set a tenant's VAT ID, member state of identification and OSS return format")
    .addHelpText('after', '\nExamples:\n  $ kimauth tenants vat set acme --vat-id BE0123456749 --member-state BE --oss-format be-xml\n  $ kimauth tenants vat show acme');

  vat
    .command('set <tenant>')
    .description('set the VAT settings (the VAT ID is format-checked)')
    .requiredOption('--vat-id <id>', 'the seller VAT ID with its country prefix, e.g. BE0123456749')
    .requiredOption('--member-state <code>', 'member state of identification, e.g. BE')
    .addOption(new Option('--oss-format <format>', 'return format').choices([...OSS_FORMATS]).default('be-xml'))
    .addOption(new Option('--scheme <scheme>', 'OSS scheme').choices([...OSS_SCHEMES]).default('union'))
    .addHelpText('after', '\nExample:\n  $ kimauth tenants vat set acme --vat-id BE0123456749 --member-state BE --oss-format be-xml --scheme union')
    .action(async (ref: string, opts: { vatId: string; memberState: string; ossFormat: string; scheme: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const settings = setVatSettings(deps, ref, opts, cliActor());
        render(out, getTenant(deps, ref).slug, settings);
      }),
    );

  vat
    .command('show <tenant>')
    .description('show the VAT settings')
    .addHelpText('after', '\nExample:\n  $ kimauth tenants vat show acme --json')
    .action(async (ref: string, _opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const tenant = getTenant(deps, ref);
        render(out, tenant.slug, findVatSettings(deps, tenant.id));
      }),
    );
}
