import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { PROFILE_ACTOR_TYPES, type ProfileActor } from '../../payments/actors.ts';
import {
  createPaymentProfile,
  deletePaymentProfile,
  getPaymentProfile,
  listPaymentProfiles,
  updatePaymentProfile,
  type PaymentProfile,
  type ProfileInput,
  type ProviderAccounts,
} from '../../payments/profiles.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import type { Column, Output } from '../output.ts';

const COLUMNS: Column<PaymentProfile>[] = [
  { header: 'id', value: (p) => p.id },
  { header: 'actor', value: (p) => `${p.actor.type}:${p.actor.id}` },
  { header: 'name', value: (p) => p.name },
  { header: 'country', value: (p) => p.country },
  { header: 'VAT ID', value: (p) => p.vatId },
  { header: 'accounts', value: (p) => Object.entries(p.accounts).map(([k, v]) => `${k}=${v}`).join(' ') },
  { header: 'default', value: (p) => (p.isDefault ? 'yes' : '') },
];

/** `user:ID` (groups and agents once their registries exist). */
function parseActor(text: string): ProfileActor {
  const colon = text.indexOf(':');
  const type = text.slice(0, colon);
  if (colon < 1 || !(PROFILE_ACTOR_TYPES as readonly string[]).includes(type) || colon === text.length - 1) {
    throw validationError(`--actor must be type:id with type ${PROFILE_ACTOR_TYPES.join(', ')} (e.g. user:3f2c…)`);
  }
  return { type: type as ProfileActor['type'], id: text.slice(colon + 1) };
}

interface ProfileOptions {
  name?: string;
  country?: string;
  vatId?: string;
  clearVatId?: boolean;
  stripe?: string;
  mollie?: string;
  paypal?: string;
  default?: boolean;
}

function profileInput(opts: ProfileOptions, forUpdate = false): ProfileInput {
  const given: ProviderAccounts = {};
  if (opts.stripe) given.stripe = opts.stripe;
  if (opts.mollie) given.mollie = opts.mollie;
  if (opts.paypal) given.paypal = opts.paypal;
  const anyAccount = Object.keys(given).length > 0;
  return {
    name: opts.name,
    country: opts.country,
    vatId: opts.clearVatId ? null : opts.vatId,
    ...(forUpdate ? (anyAccount ? { addAccounts: given } : {}) : { accounts: given }),
    isDefault: opts.default ? true : undefined,
  };
}

function show(out: Output, p: PaymentProfile): void {
  out.result(p, () =>
    out.record([
      ['id', p.id],
      ['actor', `${p.actor.type}:${p.actor.id}`],
      ['name', p.name],
      ['country', p.country],
      ['VAT ID', p.vatId],
      ...Object.entries(p.accounts).map(([k, v]) => [k, v] as [string, unknown]),
      ['default', p.isDefault],
      ['updated', p.updatedAt],
    ]),
  );
}

const withAccountOptions = (cmd: Command) =>
  cmd
    .option('--name <name>', 'a label for people')
    .option('--country <code>', 'recipient country (ISO 3166, e.g. BE)')
    .option('--vat-id <id>', 'recipient VAT ID, format-checked')
    .option('--stripe <account>', 'Stripe account id (acct_…)')
    .option('--mollie <account>', 'Mollie organisation / profile id')
    .option('--paypal <account>', 'PayPal merchant id')
    .option('--default', "make it the actor's default profile");

/** `kimauth payment-profiles list|show|create|update|delete --tenant SLUG`. */
export function registerPaymentProfilesCommand(program: Command, ctx: CliContext): void {
  const profiles = program
    .command('payment-profiles')
    .description("where an actor's money goes: provider accounts, country, VAT ID, a default per actor")
    .addHelpText('after', '\nExamples:\n  $ kimauth payment-profiles list --tenant acme\n  $ kimauth payment-profiles create --tenant acme --actor user:USER_ID --country BE --stripe acct_123');

  profiles
    .command('list')
    .description("a tenant's payment profiles, or one actor's")
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--actor <type:id>', 'only this actor (e.g. user:USER_ID)')
    .addHelpText('after', '\nExample:\n  $ kimauth payment-profiles list --tenant acme --json')
    .action(async (opts: { tenant: string; actor?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listPaymentProfiles(deps, getTenant(deps, opts.tenant).id, opts.actor ? parseActor(opts.actor) : undefined);
        out.result(rows, () => out.table(rows, COLUMNS));
      }),
    );

  profiles
    .command('show <id>')
    .description('one payment profile')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth payment-profiles show PROFILE_ID --tenant acme')
    .action(async (id: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => show(out, getPaymentProfile(deps, getTenant(deps, opts.tenant).id, id))),
    );

  withAccountOptions(
    profiles
      .command('create')
      .description("create a profile for an actor of the tenant (an actor's first profile is its default)")
      .requiredOption('--tenant <tenant>', 'tenant slug or id')
      .requiredOption('--actor <type:id>', 'owner, e.g. user:USER_ID (a member of the tenant)'),
  )
    .addHelpText('after', '\nExample:\n  $ kimauth payment-profiles create --tenant acme --actor user:USER_ID --country DE --vat-id DE129273398 --stripe acct_1Hx')
    .action(async (opts: ProfileOptions & { tenant: string; actor: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const profile = createPaymentProfile(deps, getTenant(deps, opts.tenant).id, parseActor(opts.actor), profileInput(opts), cliActor());
        out.result(profile, () => out.line(`Created payment profile ${profile.id}${profile.isDefault ? ' (default)' : ''}`));
      }),
    );

  withAccountOptions(
    profiles
      .command('update <id>')
      .description('change a profile; provider options add or replace that provider account')
      .requiredOption('--tenant <tenant>', 'tenant slug or id')
      .option('--clear-vat-id', 'remove the VAT ID'),
  )
    .addHelpText('after', '\nExample:\n  $ kimauth payment-profiles update PROFILE_ID --tenant acme --mollie org_123 --default')
    .action(async (id: string, opts: ProfileOptions & { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        show(out, updatePaymentProfile(deps, getTenant(deps, opts.tenant).id, id, profileInput(opts, true), cliActor()));
      }),
    );

  profiles
    .command('delete <id>')
    .description('delete a profile no payment was reported to')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth payment-profiles delete PROFILE_ID --tenant acme')
    .action(async (id: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        deletePaymentProfile(deps, getTenant(deps, opts.tenant).id, id, cliActor());
        out.result({ deleted: id }, () => out.line(`Deleted payment profile ${id}`));
      }),
    );
}
