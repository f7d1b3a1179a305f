import type { Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { catalogModules, readCompanyEntitlements, setCompanyEntitlements, type CompanyEntitlements } from '../../access/entitlements.ts';
import { getCompanyById, getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import type { Output } from '../output.ts';

function render(out: Output, slug: string, e: CompanyEntitlements, known: string[]): void {
  const json = {
    tenant: slug,
    companyId: e.companyId,
    modules: e.modules,
    source: e.source,
    ...(e.source === 'remote' ? { fetchedAt: e.fetchedAt?.toISOString() ?? null, stale: Boolean(e.stale) } : {}),
  };
  out.result(json, () => {
    const all = [...new Set([...known, ...e.listed])].sort();
    out.table(all, [
      { header: 'module', value: (m) => m },
      { header: 'enabled', value: (m) => (e.modules.includes(m) ? 'yes' : 'no') },
    ]);
    if (e.source === 'remote') out.note(`from ${e.stale ? 'a stale cached answer of ' : ''}the entitlements service`);
  });
}

/** `kimauth tenants entitlements show|set`: the modules a tenant bought (seed 002 §13 level 1). */
export function registerTenantEntitlementsCommands(tenants: Command, ctx: CliContext): void {
  const entitlements = tenants
    .command('entitlements')
    .description('show or set the modules a tenant has (basic, finance, ai, touring, market, venue, or your own)')
    .addHelpText('after', '\nExamples:\n  $ kimauth tenants entitlements show acme\n  $ kimauth tenants entitlements set acme --modules basic,finance');

  entitlements
    .command('show <tenant>')
    .description('list every known module and whether the tenant has it')
    .addHelpText('after', '\nExample:\n  $ kimauth tenants entitlements show acme --json')
    .action(async (ref: string, _opts, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const tenant = getCompanyById(deps, getTenant(deps, ref).id);
        render(out, tenant.slug, await readCompanyEntitlements(deps, cliActor(), tenant), catalogModules(deps));
      }),
    );

  entitlements
    .command('set <tenant>')
    .description('replace the tenant\'s modules; a name that is not yet known defines a new module')
    .requiredOption('--modules <list>', 'comma-separated module names; "" for none')
    .addHelpText('after', '\nExamples:\n  $ kimauth tenants entitlements set acme --modules basic,finance\n  $ kimauth tenants entitlements set acme --modules ""')
    .action(async (ref: string, opts: { modules: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const tenant = getCompanyById(deps, getTenant(deps, ref).id);
        const result = setCompanyEntitlements(deps, tenant, opts.modules.split(','), cliActor());
        render(out, tenant.slug, result, catalogModules(deps));
      }),
    );
}
