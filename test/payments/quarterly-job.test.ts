import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { registerJobs } from '../../src/jobs/registry.ts';
import { OSS_QUARTERLY_JOB, runQuarterlyReports } from '../../src/oss/quarterly-job.ts';
import { reportPayment } from '../../src/payments/payments.ts';
import { buildDeps } from '../../src/app/deps.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { paymentInput, paymentsFixture, type PaymentsFixture } from '../support/payments.ts';

describe('quarterly OSS job', () => {
  let f: PaymentsFixture;
  let dir: string;
  const runs = (quarter = '2026-Q3') =>
    f.deps.sqlite.prepare("SELECT count(*) AS n FROM audit_entries WHERE event_type = 'oss.report_generated' AND target_id = ?").get(quarter) as { n: number };

  beforeAll(async () => {
    f = await paymentsFixture({ file: true });
    dir = path.join(f.deps.config.dataDir, 'reports', 'acme');
    f.clock.set('2026-09-10T00:00:00Z');
    await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { occurredAt: '2026-09-09T10:00:00Z', amount: 12_345, currency: 'USD' }), TEST_ACTOR);
  });
  afterAll(() => f.close());

  it('mid-quarter it reports the previous quarter only (here a nil return for Q2), never the running one', () => {
    expect(runQuarterlyReports(f.deps)).toMatchObject({ quarter: '2026-Q2', generated: [{ tenant: 'acme' }] });
    expect(readFileSync(path.join(dir, '2026-Q2.csv'), 'utf8')).toContain('final,Q2.2026,BE0123456749,nil_return');
    expect(runs('2026-Q2').n).toBe(1);
    expect(existsSync(path.join(dir, '2026-Q3.xml'))).toBe(false);
  });

  it('a run killed between the two files leaves no partial file and no record; the next run completes once', () => {
    f.clock.set('2026-10-01T01:10:00Z');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '2026-Q3.xml.deadbeef.tmp'), '<half'); // what a killed write leaves
    const crash = () => {
      throw new Error('killed');
    };
    // Every attempt of this run dies after the XML is in place.
    const killed = runQuarterlyReports(f.deps, { afterFile: (file) => file.endsWith('.xml') && crash() });
    expect(killed.failed).toEqual([{ tenant: 'acme', error: 'killed' }]);
    expect(runs().n).toBe(0);
    expect(readFileSync(path.join(dir, '2026-Q3.xml'), 'utf8')).toContain('</OSSConsignment>');

    // A restart: a new process (new Deps on the same data dir) runs the job again.
    const restarted = buildDeps({ config: f.deps.config, clock: f.clock, masterKeys: f.deps.masterKeys, databaseFile: path.join(f.deps.config.dataDir, 'kimauth.db') });
    try {
      const report = runQuarterlyReports(restarted);
      expect(report.generated.map((g) => g.tenant)).toEqual(['acme']);
    } finally {
      restarted.close();
    }
    expect(readdirSync(dir).sort()).toEqual(['2026-Q2.csv', '2026-Q2.xml', '2026-Q3.csv', '2026-Q3.xml']);
    expect(readFileSync(path.join(dir, '2026-Q3.csv'), 'utf8')).toMatch(/^final,Q3\.2026,BE0123456749,total,,,,,,105\.61,20\.07$/m);
    expect(runs().n).toBe(1);
  });

  it('runs once per quarter: later ticks the same quarter do nothing; the scheduler runs it through runNow', async () => {
    f.clock.set('2026-10-02T01:10:00Z');
    const scheduler = createScheduler(f.deps.logger);
    registerJobs(scheduler, f.deps);
    expect(scheduler.status().map((j) => j.name)).toContain(OSS_QUARTERLY_JOB);
    await scheduler.runNow(OSS_QUARTERLY_JOB);
    expect(runQuarterlyReports(f.deps)).toMatchObject({ quarter: '2026-Q3', generated: [], skipped: ['acme'] });
    expect(runs().n).toBe(1);
    await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { occurredAt: '2026-11-09T10:00:00Z', currency: 'USD' }), TEST_ACTOR);
    f.clock.set('2027-01-01T01:10:00Z');
    // The sample has no rates for 2026-12-31: logged, nothing written, tried again on the next run.
    expect(runQuarterlyReports(f.deps)).toMatchObject({ quarter: '2026-Q4', failed: [{ tenant: 'acme', error: expect.stringMatching(/No ECB reference rate/) }] });
    expect(existsSync(path.join(dir, '2026-Q4.xml'))).toBe(false);
  });
});
