import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { Deps } from '../../app/deps.ts';
import { AppError, validationError } from '../../app/errors.ts';
import { getTenant, listTenants } from '../../tenants/tenants.ts';
import { listAuditEntries, newestAuditEntryId, parseSince, type AuditEntryView } from '../../audit/entries.ts';
import { headJson, publishAuditHeads, recentAuditHeads } from '../../audit/heads.ts';
import { parseHeadsFile, verifyAuditChains, type VerifyProgress, type VerifyReport } from '../../audit/verify.ts';
import type { CliContext } from '../context.ts';
import type { Output } from '../output.ts';

const FOLLOW_POLL_MS = 1_000;

function tenantScope(deps: Deps, opts: { tenant?: string; all?: boolean }) {
  if (opts.tenant && opts.all) throw validationError('Use either --tenant or --all, not both');
  return opts.tenant ? [getTenant(deps, opts.tenant)] : listTenants(deps);
}

function printVerifyReport(out: Output, report: VerifyReport): void {
  out.table(report.tenants, [
    { header: 'tenant', value: (t) => t.slug },
    { header: 'entries', value: (t) => t.entriesChecked },
    { header: 'heads', value: (t) => t.headsChecked },
    { header: 'last seq', value: (t) => t.lastSeq },
    { header: 'status', value: (t) => (t.firstBreak ? `BROKEN: ${t.firstBreak.kind} at ${t.firstBreak.seq ?? '?'}` : 'ok') },
  ]);
  for (const b of report.otherBreaks) out.line(`external head: ${b.message}`);
  out.line(`Checked ${report.entriesChecked} entries and ${report.headsChecked} heads.`);
  if (report.firstBreak) {
    const b = report.firstBreak;
    out.line(`First break: tenant ${b.slug || b.tenantId}, seq ${b.seq ?? '?'} (${b.kind}): ${b.message}`);
  } else out.line('Every chain holds.');
}

function entryLine(e: AuditEntryView): string {
  const actor = `${e.actor.type}:${e.actor.id ?? '-'}@${e.actor.channel}`;
  const target = e.target ? ` ${e.target.type}:${e.target.id}` : '';
  return `${e.at}  ${e.tenant}#${e.seq}  ${e.type}  ${actor}${target}  ${JSON.stringify(e.payload)}`;
}

async function startProgressView(ctx: CliContext, deps: Deps) {
  const [{ createElement }, { render }, { VerifyProgressView }] = await Promise.all([
    import('react'),
    import('ink'),
    import('../ui/verify-progress.tsx'),
  ]);
  const startedAt = deps.clock.nowMs();
  const view = (progress: VerifyProgress | null) => {
    const seconds = (deps.clock.nowMs() - startedAt) / 1000;
    return createElement(VerifyProgressView, { progress, entriesPerSecond: progress && seconds > 0 ? progress.entriesChecked / seconds : null });
  };
  const app = render(view(null), { stdout: ctx.io.stderr as NodeJS.WriteStream, patchConsole: false });
  return { update: (p: VerifyProgress) => app.rerender(view(p)), unmount: () => app.unmount() };
}

export function registerAuditCommand(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description('verify, read and publish the HMAC-chained audit log')
    .addHelpText(
      'after',
      `
Examples:
  $ kimauth audit verify --all
  $ kimauth audit verify --tenant acme --heads /backup/audit-heads/acme.jsonl --json
  $ kimauth audit tail --tenant acme --type 'key.*' --since 24h
  $ kimauth audit heads publish`,
    );

  audit
    .command('verify')
    .description('recompute every HMAC and link and check every published head; exit 1 on any break')
    .option('--tenant <tenant>', 'verify one tenant (id or slug)')
    .option('--all', 'verify every tenant (the default)')
    .option('--heads <file>', 'also check the heads in this jsonl file (kept outside the server), repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .addHelpText(
      'after',
      `
Reports entries checked, heads checked and the first break: its sequence number and what is wrong
(changed, missing, reordered, truncated after a published head, forged head).

Examples:
  $ kimauth audit verify
  $ kimauth audit verify --tenant acme --heads /mnt/worm/acme.jsonl
  $ kimauth audit verify --all --json | jq .firstBreak`,
    )
    .action(async (opts: { tenant?: string; all?: boolean; heads?: string[] }, cmd: Command) =>
      ctx.withReadDeps(cmd, async (deps, out) => {
        const scope = tenantScope(deps, opts);
        const externalHeads = (opts.heads ?? []).flatMap((file) => {
          let text: string;
          try {
            text = readFileSync(file, 'utf8');
          } catch (err) {
            throw new AppError('not_found', `Cannot read heads file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
          }
          return parseHeadsFile(text, file);
        });

        // Progress is for a person at a terminal (on stderr); ink and react load only then.
        const ink = !out.json && !out.quiet && ctx.io.stderr.isTTY ? await startProgressView(ctx, deps) : undefined;
        let report: VerifyReport;
        try {
          report = await verifyAuditChains(deps, {
            tenantIds: opts.tenant ? scope.map((t) => t.id) : undefined,
            externalHeads,
            onProgress: ink?.update,
          });
        } finally {
          ink?.unmount();
        }
        out.result(report, () => printVerifyReport(out, report));
        if (!report.ok) {
          const b = report.firstBreak!;
          throw new AppError('conflict', `audit chain broken: tenant ${b.slug || b.tenantId}, seq ${b.seq ?? '?'} (${b.kind})`);
        }
      }),
    );

  audit
    .command('tail')
    .description('print audit entries, newest last')
    .option('--tenant <tenant>', 'one tenant (id or slug); default every tenant')
    .option('--since <when>', 'ISO time, epoch ms, or a look-back: 15m, 2h, 7d')
    .option('--type <type>', "event type, or a prefix ending in * ('key.*')")
    .option('--actor <actor>', 'actor id, or type:id (operator:alice), or type: (system:)')
    .option('--limit <n>', 'how many of the newest entries', '50')
    .option('--follow', 'keep printing new entries until interrupted')
    .addHelpText(
      'after',
      `
Examples:
  $ kimauth audit tail --tenant acme --limit 20
  $ kimauth audit tail --type 'user.*' --since 2h --json
  $ kimauth audit tail --actor operator:alice --follow`,
    )
    .action(async (opts: { tenant?: string; since?: string; type?: string; actor?: string; limit: string; follow?: boolean }, cmd: Command) =>
      ctx.withReadDeps(cmd, async (deps, out) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw validationError('--limit must be a positive integer');
        const filter = {
          tenantId: opts.tenant ? getTenant(deps, opts.tenant).id : undefined,
          sinceMs: opts.since ? parseSince(opts.since, deps.clock.nowMs()) : undefined,
          type: opts.type,
          actor: opts.actor,
        };
        const entries = listAuditEntries(deps, { ...filter, limit });
        if (!opts.follow) {
          out.result(entries, () =>
            out.table(entries, [
              { header: 'at', value: (e) => e.at },
              { header: 'tenant', value: (e) => e.tenant },
              { header: 'seq', value: (e) => e.seq },
              { header: 'type', value: (e) => e.type },
              { header: 'actor', value: (e) => `${e.actor.type}:${e.actor.id ?? '-'} (${e.actor.channel})` },
              { header: 'target', value: (e) => (e.target ? `${e.target.type}:${e.target.id}` : null) },
              { header: 'payload', value: (e) => JSON.stringify(e.payload) },
            ]),
          );
          return;
        }
        // Following: one line per entry (one JSON document per line with --json), polling for newer rows.
        const print = (e: AuditEntryView) => (out.json ? out.jsonLine(e) : out.line(entryLine(e)));
        entries.forEach(print);
        let lastId = entries.at(-1)?.id ?? newestAuditEntryId(deps);
        const stopped = new AbortController();
        ctx.io.onShutdownSignal(() => stopped.abort());
        while (!stopped.signal.aborted) {
          await sleep(FOLLOW_POLL_MS, undefined, { signal: stopped.signal }).catch(() => undefined);
          if (stopped.signal.aborted) break;
          const fresh = listAuditEntries(deps, { ...filter, afterId: lastId, limit: 10_000 });
          fresh.forEach(print);
          if (fresh.length) lastId = fresh.at(-1)!.id;
        }
      }),
    );

  const heads = audit
    .command('heads')
    .description('list or publish signed audit chain heads')
    .addHelpText('after', '\nExamples:\n  $ kimauth audit heads list --tenant acme\n  $ kimauth audit heads publish');

  heads
    .command('list')
    .description('the most recent published heads per tenant')
    .option('--tenant <tenant>', 'one tenant (id or slug); default every tenant')
    .option('--limit <n>', 'heads per tenant', '10')
    .addHelpText('after', '\nExample:\n  $ kimauth audit heads list --tenant acme --limit 24 --json')
    .action(async (opts: { tenant?: string; limit: string }, cmd: Command) =>
      ctx.withReadDeps(cmd, (deps, out) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw validationError('--limit must be a positive integer');
        const rows = tenantScope(deps, opts).flatMap((t) => recentAuditHeads(deps, t.id, limit).map((h) => headJson(h, t.slug)));
        out.result(rows, () =>
          out.table(rows, [
            { header: 'tenant', value: (h) => h.slug },
            { header: 'published', value: (h) => h.publishedAt },
            { header: 'seq', value: (h) => h.seq },
            { header: 'hmac', value: (h) => `${h.hmac.slice(0, 16)}…` },
            { header: 'kid', value: (h) => h.kid },
          ]),
        );
      }),
    );

  heads
    .command('publish')
    .description("sign and publish every tenant's current chain head now (serve also does it hourly)")
    .option('--tenant <tenant>', 'one tenant (id or slug); default every tenant')
    .addHelpText(
      'after',
      `
Each head is stored, appended to <data-dir>/audit-heads/<slug>.jsonl and served at GET /t/<slug>/audit/head.
Copy those files somewhere the server cannot rewrite, and pass them to \`audit verify --heads\`.

Example:
  $ kimauth audit heads publish --tenant acme --json`,
    )
    .action(async (opts: { tenant?: string }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const tenantId = opts.tenant ? getTenant(deps, opts.tenant).id : undefined;
        const result = await publishAuditHeads(deps, { tenantId });
        for (const f of result.failed) out.warn(`${f.slug}: head not published: ${f.error}`);
        out.result(result, () => {
          for (const h of result.published) out.line(`${h.slug}: head at seq ${h.seq} (${h.hmac.slice(0, 16)}…) signed by ${h.kid}`);
        });
        if (result.failed.length) throw new AppError('internal_error', `${result.failed.length} head(s) could not be published`);
      }),
    );
}
