import type { Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { listOwnerPolicies, setOwnerPolicy, type OwnerPolicy } from '../../ownership/owner-policy.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import type { Column } from '../output.ts';

const COLUMNS: Column<OwnerPolicy>[] = [
  { header: 'resource type', value: (p) => p.resourceType },
  { header: 'owners may', value: (p) => p.actions.join(', ') },
  { header: 'updated', value: (p) => p.updatedAt },
];

/** `kimauth tenants owner-policy set|show`: what owners may do to the resources they own, per resource type. */
export function registerTenantOwnerPolicyCommands(tenants: Command, ctx: CliContext): void {
  const policy = tenants
    .command('owner-policy')
    .description('what owners may do to their own resources, per resource type (used by the authorization check)')
    .addHelpText('after', '\nExamples:\n  $ kimauth tenants owner-policy set acme --type article --actions publish,edit,delete\n  $ kimauth tenants owner-policy show acme');

  policy
    .command('set <tenant>')
    .description("replace the owner actions of one resource type (an empty --actions '' removes it)")
    .requiredOption('--type <type>', 'the resource type, as applications name it (e.g. article)')
    .requiredOption('--actions <list>', 'comma-separated actions owners may take (e.g. publish,edit,delete)')
    .addHelpText('after', '\nExample:\n  $ kimauth tenants owner-policy set acme --type article --actions publish,edit,delete')
    .action(async (slug: string, opts: { type: string; actions: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const tenant = getTenant(deps, slug);
        const set = setOwnerPolicy(deps, tenant.id, opts.type, opts.actions.split(','), cliActor());
        out.result(set ?? { resourceType: opts.type, actions: [] }, () =>
          out.line(set ? `Owners of a ${set.resourceType} in ${tenant.slug} may: ${set.actions.join(', ')}` : `Owners of a ${opts.type} in ${tenant.slug} have no extra rights now`),
        );
      }),
    );

  policy
    .command('show <tenant>')
    .description("a tenant's owner policy, per resource type")
    .addHelpText('after', '\nExample:\n  $ kimauth tenants owner-policy show acme --json')
    .action(async (slug: string, _opts: unknown, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listOwnerPolicies(deps, getTenant(deps, slug).id);
        out.result(rows, () => out.table(rows, COLUMNS));
      }),
    );
}
