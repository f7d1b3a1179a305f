import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { getOwnership, listOwnerships, setOwnership, transferOwnership, type Owner, type Ownership, type ResourceKey } from '../../ownership/ownership.ts';
import { PROFILE_ACTOR_TYPES } from '../../payments/actors.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import type { Column, Output } from '../output.ts';

const COLUMNS: Column<Ownership>[] = [
  { header: 'app', value: (o) => o.resource.app },
  { header: 'type', value: (o) => o.resource.type },
  { header: 'id', value: (o) => o.resource.id },
  { header: 'owner', value: (o) => `${o.owner.type}:${o.owner.id}` },
  { header: 'owner present', value: (o) => (o.ownerPresent ? 'yes' : 'NO — transfer it') },
  { header: 'updated', value: (o) => o.updatedAt },
];

/** `app/type/id`, the way applications name a resource. */
function parseResource(text: string): ResourceKey {
  const parts = text.split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) throw validationError(`A resource is app/type/id (e.g. cms/article/42), not "${text}"`);
  return { app: parts[0], type: parts[1], id: parts[2] };
}

function parseOwner(text: string): Owner {
  const colon = text.indexOf(':');
  const type = text.slice(0, colon);
  if (colon < 1 || colon === text.length - 1 || !(PROFILE_ACTOR_TYPES as readonly string[]).includes(type)) {
    throw validationError(`An owner is type:id with type ${PROFILE_ACTOR_TYPES.join(', ')} (e.g. user:3f2c…)`);
  }
  return { type: type as Owner['type'], id: text.slice(colon + 1) };
}

function show(out: Output, o: Ownership): void {
  out.result(o, () =>
    out.record([
      ['resource', `${o.resource.app}/${o.resource.type}/${o.resource.id}`],
      ['owner', `${o.owner.type}:${o.owner.id}`],
      ['owner present', o.ownerPresent],
      ['registered', o.createdAt],
      ['updated', o.updatedAt],
    ]),
  );
}

/** `kimauth ownership show|set|transfer|list --tenant SLUG`: the ownership registry from the shell. */
export function registerOwnershipCommand(program: Command, ctx: CliContext): void {
  const ownership = program
    .command('ownership')
    .description('who owns a resource of an application (kimauth stores the owner, never the resource)')
    .addHelpText('after', '\nExamples:\n  $ kimauth ownership set cms/article/42 --tenant acme --owner user:USER_ID\n  $ kimauth ownership list --tenant acme --orphaned');

  ownership
    .command('show <resource>')
    .description('the owner of app/type/id')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth ownership show cms/article/42 --tenant acme')
    .action(async (resource: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => show(out, getOwnership(deps, getTenant(deps, opts.tenant).id, parseResource(resource)))),
    );

  ownership
    .command('set <resource>')
    .description('register the owner of a resource nobody owns yet (the same owner again changes nothing)')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .requiredOption('--owner <type:id>', 'user:ID, group:ID or agent:ID of the tenant')
    .addHelpText('after', '\nExample:\n  $ kimauth ownership set cms/article/42 --tenant acme --owner user:USER_ID')
    .action(async (resource: string, opts: { tenant: string; owner: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const { ownership: o, created } = setOwnership(deps, getTenant(deps, opts.tenant).id, parseResource(resource), parseOwner(opts.owner), cliActor());
        if (!created) out.note(`${resource} already had this owner; nothing changed`);
        show(out, o);
      }),
    );

  ownership
    .command('transfer <resource>')
    .description('hand a resource to a new owner (audited with the old and the new owner)')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .requiredOption('--to <type:id>', 'the new owner: user:ID, group:ID or agent:ID')
    .addHelpText('after', '\nExample:\n  $ kimauth ownership transfer cms/article/42 --tenant acme --to user:OTHER_USER_ID')
    .action(async (resource: string, opts: { tenant: string; to: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => show(out, transferOwnership(deps, getTenant(deps, opts.tenant).id, parseResource(resource), parseOwner(opts.to), cliActor()))),
    );

  ownership
    .command('list')
    .description("a tenant's registered resources: all, one owner's, or those whose owner left the tenant")
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--owner <type:id>', "only this owner's resources")
    .option('--orphaned', 'only resources whose owner is no longer in the tenant')
    .option('--limit <n>', 'page size (1–500)', '100')
    .option('--after <cursor>', 'the cursor a previous page printed')
    .addHelpText('after', '\nExamples:\n  $ kimauth ownership list --tenant acme --owner user:USER_ID\n  $ kimauth ownership list --tenant acme --orphaned --json')
    .action(async (opts: { tenant: string; owner?: string; orphaned?: boolean; limit: string; after?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw validationError('--limit must be a whole number from 1 to 500');
        const page = listOwnerships(deps, getTenant(deps, opts.tenant).id, {
          owner: opts.owner ? parseOwner(opts.owner) : undefined,
          orphaned: opts.orphaned,
          limit,
          after: opts.after,
        });
        out.result(page, () => {
          out.table(page.items, COLUMNS);
          if (page.next) out.line(`More: --after ${page.next}`);
        });
      }),
    );
}
