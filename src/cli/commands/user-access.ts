import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { getMembershipAccess, setMembershipAccess, type MembershipAccessView } from '../../access/membership-access.ts';
import { getUser } from '../../identity/users.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import type { Output } from '../output.ts';

interface CompanyOption {
  company?: string;
  tenant?: string;
}

function companyRef(opts: CompanyOption): string {
  const ref = opts.company ?? opts.tenant;
  if (!ref) throw validationError('--company <slug|id> is required');
  return ref;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

function render(out: Output, email: string, slug: string, view: MembershipAccessView): void {
  out.result(
    { user: email, company: slug, companyId: view.companyId, userId: view.userId, role: view.role, isActive: view.isActive, modules: view.grants.modules, permissions: view.grants.permissions, effective: view.effective },
    () => {
      out.record([
        ['user', email],
        ['company', `${slug} (${view.companyId})`],
        ['role', `${view.role}${view.isActive ? '' : ' (inactive)'}`],
        ['granted modules', view.grants.modules.join(', ') || '—'],
        ['permissions', view.grants.permissions.join(', ') || '—'],
      ]);
      out.line();
      out.table(Object.entries(view.effective.modules), [
        { header: 'module', value: ([m]) => m },
        { header: 'effective', value: ([, on]) => (on ? 'yes' : 'no') },
      ]);
      out.line(`effective permissions: ${view.effective.permissions.join(', ') || '—'}`);
    },
  );
}

/** `kimauth users access show|set`: a member's module grants and permissions (levels 2 and 3). */
export function registerUserAccessCommands(users: Command, ctx: CliContext): void {
  const access = users
    .command('access')
    .description("show or set a member's module grants and permissions in one company")
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth users access show jane@acme.com --company acme\n  $ kimauth users access set jane@acme.com --company acme --modules basic,finance --permissions finance.expense.view',
    );

  access
    .command('show <user>')
    .description('grants and effective access (entitlements ∩ grants, permissions filtered by module)')
    .option('--company <company>', 'company id or slug')
    .option('--tenant <tenant>', 'same as --company')
    .addHelpText('after', '\nExample:\n  $ kimauth users access show jane@acme.com --company acme --json')
    .action(async (ref: string, opts: CompanyOption, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const user = getUser(deps, ref);
        const company = getTenant(deps, companyRef(opts));
        render(out, user.email, company.slug, await getMembershipAccess(deps, cliActor(), company.id, user.id));
      }),
    );

  access
    .command('set <user>')
    .description('replace module grants and/or permissions; an omitted option leaves that list unchanged, "" empties it')
    .option('--company <company>', 'company id or slug')
    .option('--tenant <tenant>', 'same as --company')
    .option('--modules <list>', 'comma-separated modules, e.g. basic,finance')
    .option('--permissions <list>', 'comma-separated permissions, e.g. finance.expense.view,publish:article')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth users access set jane@acme.com --company acme --modules basic,finance\n  $ kimauth users access set jane@acme.com --company acme --permissions ""',
    )
    .action(async (ref: string, opts: CompanyOption & { modules?: string; permissions?: string }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        if (opts.modules === undefined && opts.permissions === undefined) throw validationError('Give --modules and/or --permissions');
        const user = getUser(deps, ref);
        const company = getTenant(deps, companyRef(opts));
        const view = await setMembershipAccess(deps, cliActor(), company.id, user.id, {
          modules: opts.modules === undefined ? undefined : list(opts.modules),
          permissions: opts.permissions === undefined ? undefined : list(opts.permissions),
        });
        render(out, user.email, company.slug, view);
      }),
    );
}
