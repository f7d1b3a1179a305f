/**
 * Audit chain benchmark: what an append adds to the transaction it joins, and how fast `audit verify` walks
 * a chain. Usage: npm run bench:audit [-- --entries 1000000]
 * Targets (issue 6): append adds < 50 µs; verify >= 200,000 entries/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { testConfig } from '../src/app/config.ts';
import { buildDeps } from '../src/app/deps.ts';
import { generateMasterKeyring } from '../src/keys/master-key.ts';
import { createTenant, MASTER_SLUG } from '../src/tenants/tenants.ts';
import { verifyAuditChains } from '../src/audit/verify.ts';
import type { Actor } from '../src/audit/audit-log.ts';

const argIndex = process.argv.indexOf('--entries');
const ENTRIES = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 1_000_000;
const TXNS = 20_000;
const FILL_BATCH = 2_000;
const actor: Actor = { type: 'operator', id: 'bench', channel: 'cli' };

const dir = mkdtempSync(path.join(tmpdir(), 'kimauth-bench-audit-'));
const deps = buildDeps({
  config: testConfig({ dataDir: dir }),
  masterKeys: generateMasterKeyring(),
  databaseFile: path.join(dir, 'kimauth.db'),
  migrate: true,
});

const us = (ms: number, n: number) => ((ms * 1000) / n).toFixed(1);
/** CPU milliseconds of this process: on a busy shared machine wall time overstates our own cost. */
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (wall figures assume idle cores)`);
try {
  await createTenant(deps, { slug: MASTER_SLUG, name: 'Platform' }, actor, { allowReserved: true });
  const acme = await createTenant(deps, { slug: 'acme', name: 'Acme' }, actor);
  const touch = deps.sqlite.prepare('UPDATE tenants SET updated_at = ? WHERE id = ?');
  const event = (i: number) => ({
    actor,
    type: 'user.updated',
    target: { type: 'user', id: `u-${i % 1000}` },
    payload: { field: 'fullName', i },
  });

  // 1. One small change per transaction, without and with its audit entry (the real shape of a service call).
  const measure = (withAudit: boolean) => {
    const start = cpuMs();
    for (let i = 0; i < TXNS; i++) {
      deps.sqlite.transaction(() => {
        touch.run(i, acme.id);
        if (withAudit) deps.audit.append(acme.id, event(i));
      })();
    }
    return cpuMs() - start;
  };
  measure(false); // warm-up
  const plain = measure(false);
  const audited = measure(true);
  console.log(`append (CPU time): transaction alone ${us(plain, TXNS)} µs, with append ${us(audited, TXNS)} µs → append adds ${us(audited - plain, TXNS)} µs (target < 50)`);

  // 2. Fill the chain to ENTRIES, many appends per transaction (the cost of the append itself).
  const already = TXNS;
  const fillStart = cpuMs();
  for (let done = already; done < ENTRIES; done += FILL_BATCH) {
    deps.sqlite.transaction(() => {
      for (let i = done; i < Math.min(ENTRIES, done + FILL_BATCH); i++) deps.audit.append(acme.id, event(i));
    })();
  }
  const filled = Math.max(0, ENTRIES - already);
  console.log(`append in bulk: ${filled.toLocaleString('en')} entries, ${us(cpuMs() - fillStart, Math.max(1, filled))} µs CPU each`);
  deps.sqlite.pragma('wal_checkpoint(TRUNCATE)');

  // 3. Verify the whole chain (twice: cold page cache of the statement, then warm).
  for (const round of ['first', 'second']) {
    const start = performance.now();
    const cpuStart = cpuMs();
    const report = await verifyAuditChains(deps, { tenantIds: [acme.id] });
    const seconds = (performance.now() - start) / 1000;
    const cpuSeconds = (cpuMs() - cpuStart) / 1000;
    if (!report.ok) throw new Error(`bench chain does not verify: ${JSON.stringify(report.firstBreak)}`);
    console.log(
      `verify (${round}): ${report.entriesChecked.toLocaleString('en')} entries in ${seconds.toFixed(2)} s → ${Math.round(report.entriesChecked / seconds).toLocaleString('en')} entries/s wall, ${Math.round(report.entriesChecked / cpuSeconds).toLocaleString('en')} entries/CPU-s (target >= 200,000)`,
    );
  }
} finally {
  deps.close();
  rmSync(dir, { recursive: true, force: true });
}
