import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import type { CliIo } from '../../src/cli/io.ts';
import type { AuditEntryView } from '../../src/audit/entries.ts';
import type { PublishedHead } from '../../src/audit/heads.ts';
import { cli } from '../support/cli.ts';
import { appendEvents, createTemplateDataDir, openInstance, tamper } from '../audit/support/chain-fixture.ts';

describe('CLI: audit tail, heads, verify on a terminal', () => {
  let template: { dataDir: string; remove(): void };
  beforeAll(async () => {
    template = await createTemplateDataDir(30);
  });
  afterAll(() => template.remove());
  const run = (...argv: string[]) => cli(['--data-dir', template.dataDir, ...argv]);

  it('tails the newest entries, oldest first, filtered by tenant, type, actor and time', async () => {
    const last = await run('audit', 'tail', '--tenant', 'acme', '--limit', '3', '--json');
    expect(last.code, last.stderr).toBe(0);
    expect(last.json<AuditEntryView[]>().map((e) => e.seq)).toEqual([30, 31, 32]);

    const created = (await run('audit', 'tail', '--tenant', 'acme', '--type', 'test.created', '--limit', '1000', '--json')).json<AuditEntryView[]>();
    expect(created).toHaveLength(15);
    expect(new Set(created.map((e) => e.type))).toEqual(new Set(['test.created']));

    const prefixed = (await run('audit', 'tail', '--type', 'tenant.*', '--json')).json<AuditEntryView[]>();
    expect(prefixed.map((e) => e.tenant).sort()).toEqual(['acme', 'master', 'master']);

    const bob = (await run('audit', 'tail', '--actor', 'operator:bob', '--limit', '1000', '--json')).json<AuditEntryView[]>();
    expect(bob).toHaveLength(10);
    expect(bob[0]).toMatchObject({ actor: { type: 'operator', id: 'bob', channel: 'cli' }, tenant: 'acme', payload: { note: 'fixture' } });
    expect((await run('audit', 'tail', '--actor', 'system:', '--limit', '1000', '--json')).json<unknown[]>()).toHaveLength(10);

    const future = (await run('audit', 'tail', '--since', '2999-01-01T00:00:00Z', '--json')).json<unknown[]>();
    expect(future).toEqual([]);

    const table = await run('audit', 'tail', '--tenant', 'acme', '--limit', '2');
    expect(table.stdout).toMatch(/at.*tenant.*seq.*type.*actor/);
    expect(table.stdout).toContain('test.updated');

    expect((await run('audit', 'tail', '--since', 'whenever')).code).toBe(2);
    expect((await run('audit', 'tail', '--limit', '0')).code).toBe(2);
  });

  it('publishes heads on demand and lists them', async () => {
    const published = await run('audit', 'heads', 'publish', '--json');
    expect(published.code, published.stderr).toBe(0);
    expect(published.json<{ published: PublishedHead[] }>().published.map((h) => h.slug).sort()).toEqual(['acme', 'master']);
    const listed = (await run('audit', 'heads', 'list', '--tenant', 'acme', '--json')).json<PublishedHead[]>();
    expect(listed.at(-1)).toMatchObject({ slug: 'acme', seq: 32 });
    expect((await run('audit', 'heads', 'list')).stdout).toMatch(/tenant.*published.*seq/);
    expect((await run('audit', 'verify', '--tenant', 'acme', '--all')).code).toBe(2);
    expect((await run('audit', 'verify', '--heads', '/no/such/file.jsonl')).code).toBe(1);
  });

  it('draws progress with ink on a terminal (stderr) and the report on stdout; silent with --json', async () => {
    let stdout = '';
    let stderr = '';
    const terminal = Object.assign(new EventEmitter(), {
      write: (s: string) => ((stderr += s), true),
      isTTY: true,
      columns: 100,
      rows: 40,
    });
    const io: CliIo = {
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: terminal,
      stdin: Readable.from([]) as CliIo['stdin'],
      env: {},
      onShutdownSignal: () => undefined,
    };
    const code = await runCli(['--data-dir', template.dataDir, 'audit', 'verify'], io);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/36 \/ 36 entries/);
    expect(stderr).toContain('█');
    expect(stdout).toMatch(/Checked 36 entries/);

    stdout = '';
    stderr = '';
    expect(await runCli(['--data-dir', template.dataDir, 'audit', 'verify', '--json'], io)).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout).ok).toBe(true);
  });

  it('follows new entries until asked to stop', async () => {
    let stdout = '';
    let stop: ((signal: string) => void) | undefined;
    const io: CliIo = {
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: { write: () => true, isTTY: false },
      stdin: Readable.from([]) as CliIo['stdin'],
      env: {},
      onShutdownSignal: (handler) => (stop = handler),
    };
    const running = runCli(['--data-dir', template.dataDir, 'audit', 'tail', '--tenant', 'acme', '--limit', '1', '--follow', '--json'], io);
    // Waits until the follower has printed `lines` lines, and fails the test if it never does.
    const printed = () => stdout.trim().split('\n').filter(Boolean).length;
    const waitFor = (lines: number) => vi.waitFor(() => expect(printed()).toBeGreaterThanOrEqual(lines), { timeout: 10_000, interval: 20 });
    await waitFor(1);
    const deps = openInstance(template.dataDir);
    try {
      appendEvents(deps, 'acme', 2);
    } finally {
      deps.close();
    }
    await waitFor(3);
    stop!('SIGTERM');
    expect(await running).toBe(0);
    const seqs = stdout.trim().split('\n').map((l) => JSON.parse(l).seq);
    expect(seqs).toEqual([32, 33, 34]);
  });

  it('prints help with examples for every audit command', async () => {
    for (const argv of [['audit'], ['audit', 'verify'], ['audit', 'tail'], ['audit', 'heads'], ['audit', 'heads', 'list'], ['audit', 'heads', 'publish'], ['keys', 'rotate-master']]) {
      const res = await cli([...argv, '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/Examples?:/);
    }
  });

  it('runs last: a broken chain makes verify exit 1 with the break on stderr', async () => {
    tamper(template.dataDir, (db, id) => db.prepare(`UPDATE audit_entries SET target_id = 'x' WHERE tenant_id = ? AND seq = 4`).run(id));
    const res = await run('audit', 'verify');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/acme.*BROKEN: changed at 4/);
    expect(res.stderr).toMatch(/audit chain broken: tenant acme, seq 4 \(changed\)/);
  });
});
