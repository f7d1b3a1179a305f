import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { agentView, createAgent, getAgent, listAgents, revokeAgent, rotateAgentToken, updateAgent, type Agent } from '../../agents/agents.ts';
import type { AgentOwner } from '../../agents/owners.ts';
import type { Deps } from '../../app/deps.ts';
import type { TenantRow } from '../../tenants/tables.ts';
import { getUser } from '../../identity/users.ts';
import { getTenant } from '../../tenants/tenants.ts';
import { groupRef } from '../../permissions/groups.ts';
import type { CliContext } from '../context.ts';
import type { Column, Output } from '../output.ts';

const COLUMNS: Column<Agent>[] = [
  { header: 'id', value: (a) => a.id },
  { header: 'name', value: (a) => a.name },
  { header: 'owner', value: (a) => `${a.owner.type}:${a.owner.id}` },
  { header: 'permissions', value: (a) => a.permissions.join(', ') },
  { header: 'audiences', value: (a) => a.audiences.join(', ') },
  { header: 'status', value: (a) => a.status },
  { header: 'expires', value: (a) => a.expiresAt ?? 'never' },
];

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3_600, d: 86_400 };

/** `180d`, `12h`, `90m`: a lifetime from now. */
export function parseLifetime(text: string): number {
  const match = /^(\d{1,5})([mhd])$/.exec(text.trim());
  if (!match) throw validationError(`--expires takes a number and a unit m, h or d (e.g. 180d), not "${text}"`);
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

const splitList = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

function ownerFrom(deps: Deps, tenant: TenantRow, opts: { owner?: string; ownerGroup?: string }): AgentOwner {
  if (opts.owner && opts.ownerGroup) throw validationError('Give --owner or --owner-group, not both');
  if (opts.owner) return { type: 'user', id: getUser(deps, opts.owner).id };
  if (opts.ownerGroup) return { type: 'group', id: groupRef(deps, tenant, opts.ownerGroup).id };
  throw validationError('An agent needs an owner: --owner EMAIL or --owner-group GROUP');
}

function show(out: Output, agent: Agent, token?: string): void {
  out.result(token ? { agent, token } : agent, () => {
    out.record([
      ['id', agent.id],
      ['name', agent.name],
      ['owner', `${agent.owner.type}:${agent.owner.id}`],
      ['permissions', agent.permissions.join(', ')],
      ['audiences', agent.audiences.join(', ')],
      ['status', agent.status],
      ['expires', agent.expiresAt ?? 'never'],
      ['token rotated', agent.tokenRotatedAt],
    ]);
    if (token) {
      out.line();
      out.line(`API token (shown this once, store it now): ${token}`);
    }
  });
}

/** `kimauth agents create|list|show|update|rotate-token|revoke --tenant SLUG`. */
export function registerAgentsCommand(program: Command, ctx: CliContext): void {
  const agents = program
    .command('agents')
    .description("non-human actors of a tenant: their own grants (within the owner's) and an API token shown once")
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth agents create --tenant acme --name nightly-sync --owner jane@acme.com --permissions sync:orders --audience backend-api --expires 180d\n  $ kimauth agents list --tenant acme',
    );

  agents
    .command('create')
    .description("create an agent; its permissions must be a subset of the owner's effective permissions")
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .requiredOption('--name <name>', 'a name, unique in the tenant')
    .option('--owner <email>', 'the owning user (email or id)')
    .option('--owner-group <group>', 'the owning group')
    .requiredOption('--permissions <list>', 'comma-separated action:resource permissions')
    .requiredOption('--audience <list>', 'comma-separated audiences its tokens may be for (the first is the default)')
    .option('--expires <lifetime>', 'lifetime from now: 90m, 12h, 180d')
    .addHelpText('after', '\nExample:\n  $ kimauth agents create --tenant acme --name nightly-sync --owner jane@acme.com --permissions sync:orders,read:catalog --audience backend-api --json')
    .action(async (opts: { tenant: string; name: string; owner?: string; ownerGroup?: string; permissions: string; audience: string; expires?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const tenant = getTenant(deps, opts.tenant);
        const { agent, token } = createAgent(
          deps,
          tenant,
          {
            name: opts.name,
            owner: ownerFrom(deps, tenant, opts),
            permissions: splitList(opts.permissions),
            audiences: splitList(opts.audience),
            expiresInSeconds: opts.expires ? parseLifetime(opts.expires) : undefined,
          },
          cliActor(),
        );
        show(out, agent, token);
      }),
    );

  agents
    .command('list')
    .description("a tenant's agents (never their tokens)")
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth agents list --tenant acme --json')
    .action(async (opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listAgents(deps, getTenant(deps, opts.tenant).id);
        out.result(rows, () => out.table(rows, COLUMNS));
      }),
    );

  agents
    .command('show <agent>')
    .description('one agent, by id or name')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth agents show nightly-sync --tenant acme')
    .action(async (ref: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => show(out, agentView(deps, getAgent(deps, getTenant(deps, opts.tenant).id, ref)))),
    );

  agents
    .command('update <agent>')
    .description("rename, or change permissions (within the owner's), audiences or expiry")
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--name <name>', 'a new name')
    .option('--permissions <list>', 'replace the permissions')
    .option('--audience <list>', 'replace the audiences')
    .option('--expires <lifetime>', 'a new lifetime from now: 90m, 12h, 180d')
    .option('--no-expiry', 'never expires')
    .addHelpText('after', '\nExample:\n  $ kimauth agents update nightly-sync --tenant acme --permissions sync:orders')
    .action(async (ref: string, opts: { tenant: string; name?: string; permissions?: string; audience?: string; expires?: string; expiry?: boolean }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const tenant = getTenant(deps, opts.tenant);
        const expiresInSeconds = opts.expiry === false ? null : opts.expires ? parseLifetime(opts.expires) : undefined;
        const agent = updateAgent(
          deps,
          tenant,
          ref,
          { name: opts.name, permissions: opts.permissions ? splitList(opts.permissions) : undefined, audiences: opts.audience ? splitList(opts.audience) : undefined, expiresInSeconds },
          cliActor(),
        );
        show(out, agent);
      }),
    );

  agents
    .command('rotate-token <agent>')
    .description('a new API token, shown once; the old one stops working at once')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth agents rotate-token nightly-sync --tenant acme --json')
    .action(async (ref: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const { agent, token } = rotateAgentToken(deps, getTenant(deps, opts.tenant), ref, cliActor());
        show(out, agent, token);
      }),
    );

  agents
    .command('revoke <agent>')
    .description('revoke an agent for good; its next token exchange fails')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth agents revoke nightly-sync --tenant acme')
    .action(async (ref: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const agent = revokeAgent(deps, getTenant(deps, opts.tenant).id, ref, cliActor());
        out.result(agent, () => out.line(`Revoked agent ${agent.name} (${agent.id})`));
      }),
    );
}
