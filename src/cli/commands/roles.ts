import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import {
  assignRole,
  createRole,
  deleteRole,
  listRoles,
  showRole,
  unassignRole,
  updateRole,
  type AssigneeRef,
  type RoleDetail,
  type RoleView,
} from '../../permissions/roles.ts';
import type { CliContext } from '../context.ts';
import { listArg } from '../list-arguments.ts';
import type { Column, Output } from '../output.ts';

const ROLE_COLUMNS: Column<RoleView>[] = [
  { header: 'name', value: (r) => r.name },
  { header: 'scope', value: (r) => (r.clientId ? `client ${r.clientId}` : 'tenant') },
  { header: 'permissions', value: (r) => r.permissions.join(', ') || '—' },
  { header: 'description', value: (r) => r.description },
  { header: 'id', value: (r) => r.id },
];

function printRole(out: Output, role: RoleDetail | RoleView): void {
  out.result(role, () => {
    out.record([
      ['name', role.name],
      ['scope', role.clientId ? `client ${role.clientId} (resource_access)` : 'tenant (realm_access)'],
      ['permissions', role.permissions.join(', ') || '—'],
      ['description', role.description],
      ['id', role.id],
    ]);
    if ('assignments' in role) {
      out.line('\nassigned to:');
      out.table(role.assignments, [
        { header: 'type', value: (a) => a.type },
        { header: 'who', value: (a) => (a.type === 'user' ? a.email : a.name) },
        { header: 'id', value: (a) => a.id },
      ]);
    }
  });
}

interface TenantOpts {
  tenant: string;
  client?: string;
}

function assignee(opts: { user?: string; group?: string }): AssigneeRef {
  if (Boolean(opts.user) === Boolean(opts.group)) throw validationError('Give exactly one of --user or --group');
  return opts.user ? { user: opts.user } : { group: opts.group! };
}

/** `kimauth roles …`: access roles, bundles of permissions (tenant-scoped, or with --client for one application). */
export function registerRolesCommand(program: Command, ctx: CliContext): void {
  const roles = program
    .command('roles')
    .description('access roles: named bundles of permissions, tenant-scoped or for one client (--client)')
    .addHelpText(
      'after',
      `
Examples:
  $ kimauth roles create --tenant acme --name editor --permissions publish:article,edit:article
  $ kimauth roles assign --tenant acme --role editor --user jane@acme.com
  $ kimauth roles assign --tenant acme --role editor --group Engineering
  $ kimauth roles list --tenant acme`,
    );

  roles
    .command('create')
    .description('create a role; without --client it is tenant-scoped (realm_access.roles)')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .requiredOption('--name <name>', 'role name (letters, digits, . : _ -)')
    .option('--permissions <list>', 'comma-separated permissions, e.g. publish:article,edit:article')
    .option('--client <clientId>', 'make it a role of this client (resource_access.{client}.roles)')
    .option('--description <text>', 'what the role is for')
    .addHelpText('after', '\nExamples:\n  $ kimauth roles create --tenant acme --name editor --permissions publish:article,edit:article\n  $ kimauth roles create --tenant acme --name viewer --client web')
    .action(async (opts: TenantOpts & { name: string; permissions?: string; description?: string }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const role = await createRole(deps, cliActor(), opts.tenant, { name: opts.name, permissions: listArg(opts.permissions), clientId: opts.client, description: opts.description });
        out.note(`created role ${role.name}`);
        printRole(out, role);
      }),
    );

  roles
    .command('list')
    .description('list the roles of a tenant (of one client with --client)')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--client <clientId>', 'only the roles of this client')
    .addHelpText('after', '\nExample:\n  $ kimauth roles list --tenant acme --json')
    .action(async (opts: TenantOpts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listRoles(deps, cliActor(), opts.tenant, { clientId: opts.client });
        out.result(rows, () => out.table(rows, ROLE_COLUMNS));
      }),
    );

  roles
    .command('show <role>')
    .description('show a role (by name or id) and who it is assigned to')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--client <clientId>', 'the client of a client-scoped role')
    .addHelpText('after', '\nExample:\n  $ kimauth roles show editor --tenant acme')
    .action(async (ref: string, opts: TenantOpts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => printRole(out, showRole(deps, cliActor(), opts.tenant, ref, opts.client))),
    );

  roles
    .command('update <role>')
    .description('rename a role, replace its permissions or change its description')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--client <clientId>', 'the client of a client-scoped role')
    .option('--name <name>', 'new name')
    .option('--permissions <list>', 'comma-separated permissions (replace all; "" empties)')
    .option('--description <text>', 'new description ("" clears)')
    .addHelpText('after', '\nExample:\n  $ kimauth roles update editor --tenant acme --permissions publish:article,edit:article,delete:article')
    .action(async (ref: string, opts: TenantOpts & { name?: string; permissions?: string; description?: string }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        if (opts.name === undefined && opts.permissions === undefined && opts.description === undefined) {
          throw validationError('Give --name, --permissions and/or --description');
        }
        const role = await updateRole(
          deps,
          cliActor(),
          opts.tenant,
          ref,
          { name: opts.name, permissions: opts.permissions === undefined ? undefined : listArg(opts.permissions), description: opts.description },
          opts.client,
        );
        printRole(out, role);
      }),
    );

  roles
    .command('delete <role>')
    .description('delete a role; everyone it was assigned to loses what it gave')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--client <clientId>', 'the client of a client-scoped role')
    .addHelpText('after', '\nExample:\n  $ kimauth roles delete editor --tenant acme')
    .action(async (ref: string, opts: TenantOpts, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const role = await deleteRole(deps, cliActor(), opts.tenant, ref, opts.client);
        out.result({ deleted: role }, () => out.line(`deleted role ${role.name}${role.clientId ? ` of client ${role.clientId}` : ''}`));
      }),
    );

  for (const [name, assign] of [
    ['assign', true],
    ['unassign', false],
  ] as const) {
    roles
      .command(name)
      .description(assign ? 'assign a role to a member of the tenant or to a group' : 'take a role back from a member or a group')
      .requiredOption('--tenant <tenant>', 'tenant slug or id')
      .requiredOption('--role <role>', 'role name or id')
      .option('--client <clientId>', 'the client of a client-scoped role')
      .option('--user <user>', 'a member (email or id)')
      .option('--group <group>', 'a group (name or id)')
      .addHelpText('after', `\nExamples:\n  $ kimauth roles ${name} --tenant acme --role editor --user jane@acme.com\n  $ kimauth roles ${name} --tenant acme --role editor --group Engineering`)
      .action(async (opts: TenantOpts & { role: string; user?: string; group?: string }, cmd: Command) =>
        ctx.withDeps(cmd, async (deps, out) => {
          const to = assignee(opts);
          const role = await (assign ? assignRole : unassignRole)(deps, cliActor(), opts.tenant, opts.role, to, opts.client);
          out.note(`${assign ? 'assigned' : 'unassigned'} ${role.name} ${assign ? 'to' : 'from'} ${'user' in to ? to.user : `group ${to.group}`}`);
          printRole(out, role);
        }),
      );
  }
}
