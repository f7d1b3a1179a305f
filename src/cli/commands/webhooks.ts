import { Option, type Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.ts';
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  retryDelivery,
  testWebhook,
  updateWebhook,
  webhookOutboxDepth,
  type DeliveryView,
  type WebhookView,
} from '../../webhooks/webhooks.ts';
import type { CliContext } from '../context.ts';
import type { Column, Output } from '../output.ts';

const COLUMNS: Column<WebhookView>[] = [
  { header: 'id', value: (w) => w.id },
  { header: 'url', value: (w) => w.url },
  { header: 'events', value: (w) => w.events.join(',') },
  { header: 'enabled', value: (w) => (w.enabled ? 'yes' : 'no') },
  { header: 'description', value: (w) => w.description },
  { header: 'updated', value: (w) => w.updatedAt },
];

const DELIVERY_COLUMNS: Column<DeliveryView>[] = [
  { header: 'id', value: (d) => d.id },
  { header: 'event', value: (d) => d.eventType },
  { header: 'event id', value: (d) => d.eventId },
  { header: 'status', value: (d) => d.status },
  { header: 'attempts', value: (d) => d.attempts },
  { header: 'HTTP', value: (d) => d.lastStatus },
  { header: 'next attempt', value: (d) => d.nextAttemptAt },
  { header: 'last error', value: (d) => d.lastError },
  { header: 'created', value: (d) => d.createdAt },
];

const EVENTS_HELP = `comma-separated: ${WEBHOOK_EVENT_TYPES.join(', ')}`;

function show(out: Output, webhook: WebhookView, secret?: string): void {
  out.result(secret ? { webhook, secret } : webhook, () => {
    if (secret) out.line(secret);
    out.record([
      ['id', webhook.id],
      ['url', webhook.url],
      ['events', webhook.events.join(', ')],
      ['enabled', webhook.enabled],
      ['description', webhook.description],
    ]);
    if (secret) out.note('The first line is the signing secret (Standard Webhooks). Copy it now: it is not shown again.');
  });
}

/** `kimauth webhooks create|list|update|delete|test|deliveries --tenant SLUG` (issue 15 §7). */
export function registerWebhooksCommand(program: Command, ctx: CliContext): void {
  const webhooks = program
    .command('webhooks')
    .description('signed event deliveries (Standard Webhooks) to a tenant\'s receivers: push-revoke, user and session changes')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth webhooks create --tenant acme --url https://hooks.example/kimauth --events permissions.changed,session.revoked\n' +
        '  $ kimauth webhooks test --tenant acme WEBHOOK_ID\n  $ kimauth webhooks deliveries --tenant acme --status failed',
    );

  webhooks
    .command('create')
    .description('register a receiver and print its signing secret once (whsec_…)')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .requiredOption('--url <url>', 'http(s) URL of the receiver; private and loopback targets are refused unless KIMAUTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true')
    .requiredOption('--events <list>', EVENTS_HELP)
    .option('--description <text>', 'a note for people')
    .option('--disabled', 'create it disabled (it receives nothing until enabled)')
    .addHelpText('after', '\nExample:\n  $ kimauth webhooks create --tenant acme --url https://hooks.example/kimauth --events permissions.changed,session.revoked,user.updated,agent.revoked --json')
    .action(async (opts: { tenant: string; url: string; events: string; description?: string; disabled?: boolean }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const created = await createWebhook(deps, cliActor(), opts.tenant, {
          url: opts.url,
          events: opts.events.split(','),
          description: opts.description,
          enabled: !opts.disabled,
        });
        show(out, created.webhook, created.secret);
      }),
    );

  webhooks
    .command('list')
    .description("the tenant's webhooks (never their secrets)")
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth webhooks list --tenant acme --json')
    .action(async (opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listWebhooks(deps, cliActor(), opts.tenant);
        out.result(rows, () => out.table(rows, COLUMNS));
      }),
    );

  webhooks
    .command('update <id>')
    .description('change the URL, events, description or state of a webhook, or rotate its secret')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--url <url>', 'new receiver URL')
    .option('--events <list>', EVENTS_HELP)
    .option('--description <text>', 'new note ("" clears it)')
    .option('--enable', 'deliver to it again')
    .option('--disable', 'stop delivering to it')
    .option('--rotate-secret', 'issue a new signing secret (printed once); the old one stops at once')
    .addHelpText('after', '\nExample:\n  $ kimauth webhooks update WEBHOOK_ID --tenant acme --events permissions.changed --rotate-secret')
    .action(
      async (
        id: string,
        opts: { tenant: string; url?: string; events?: string; description?: string; enable?: boolean; disable?: boolean; rotateSecret?: boolean },
        cmd: Command,
      ) =>
        ctx.withDeps(cmd, async (deps, out) => {
          if (opts.enable && opts.disable) throw validationError('Give --enable or --disable, not both');
          const updated = await updateWebhook(deps, cliActor(), opts.tenant, id, {
            url: opts.url,
            events: opts.events?.split(','),
            description: opts.description,
            enabled: opts.enable ? true : opts.disable ? false : undefined,
            rotateSecret: opts.rotateSecret,
          });
          show(out, updated.webhook, updated.secret);
        }),
    );

  webhooks
    .command('delete <id>')
    .description('delete a webhook and its undelivered events')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth webhooks delete WEBHOOK_ID --tenant acme')
    .action(async (id: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        deleteWebhook(deps, cliActor(), opts.tenant, id);
        out.result({ deleted: id }, () => out.line(`Deleted webhook ${id}`));
      }),
    );

  webhooks
    .command('test <id>')
    .description('send a signed webhook.test event now and show how the receiver answered')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth webhooks test WEBHOOK_ID --tenant acme')
    .action(async (id: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const delivery = await testWebhook(deps, cliActor(), opts.tenant, id);
        out.result(delivery, () =>
          out.line(
            delivery.status === 'sent'
              ? `Delivered ${delivery.eventId} (HTTP ${delivery.lastStatus})`
              : `Not delivered: ${delivery.lastError}${delivery.status === 'pending' ? ` (retried at ${delivery.nextAttemptAt})` : ''}`,
          ),
        );
      }),
    );

  webhooks
    .command('deliveries [webhookId]')
    .description('recent deliveries, newest first (all webhooks of the tenant, or one); --retry requeues one')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addOption(new Option('--status <status>', 'only deliveries with this status').choices(['pending', 'sent', 'failed']))
    .option('--limit <n>', 'at most this many rows', '50')
    .option('--retry <deliveryId>', 'put this failed delivery back in the queue, due now with fresh attempts')
    .addHelpText('after', '\nExamples:\n  $ kimauth webhooks deliveries --tenant acme --status failed\n  $ kimauth webhooks deliveries --tenant acme --retry DELIVERY_ID')
    .action(async (webhookId: string | undefined, opts: { tenant: string; status?: 'pending' | 'sent' | 'failed'; limit: string; retry?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        if (opts.retry) {
          const requeued = retryDelivery(deps, cliActor(), opts.tenant, opts.retry);
          out.result(requeued, () => out.line(`Requeued delivery ${requeued.id} (${requeued.eventType} ${requeued.eventId})`));
          return;
        }
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw validationError('--limit must be an integer from 1 to 1000');
        const rows = listDeliveries(deps, cliActor(), opts.tenant, { webhookId, status: opts.status, limit });
        out.result(rows, () => {
          out.table(rows, DELIVERY_COLUMNS);
          const depth = webhookOutboxDepth(deps);
          out.note(`Outbox (all tenants): ${depth.pending} pending (${depth.due} due), ${depth.failed} failed`);
        });
      }),
    );
}
