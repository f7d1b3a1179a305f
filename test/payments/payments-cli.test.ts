import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';
import { ECB_SAMPLE } from '../support/payments.ts';

describe('CLI: tenants vat, fx, payment-profiles, oss-report', () => {
  let dir: { path: string; remove(): void };
  let dataDir: string;
  let userId = '';
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv]);

  beforeAll(async () => {
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
    expect((await run('init', '--yes')).code).toBe(0);
    expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
    userId = (await run('users', 'create', '--email', 'seller@acme.test', '--name', 'Seller', '--json')).json<{ id: string }>().id;
    expect((await run('users', 'memberships', 'set', userId, '--tenant', 'acme', '--role', 'SUBMITTER')).code).toBe(0);
  });
  afterAll(() => dir.remove());

  it('an OSS report without VAT settings or rates refuses with the reason (exit 1)', async () => {
    const res = await run('oss-report', '--quarter', '2026-Q3', '--tenant', 'acme');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/acme has no VAT settings; set them with `kimauth tenants vat set acme/);
    expect((await run('oss-report', '--quarter', '2026-Q3')).stderr).toMatch(/No tenant has VAT settings/);
    expect((await run('oss-report', '--quarter', 'summer')).code).toBe(2);
  });

  it('tenants vat set checks the VAT ID format; show prints it', async () => {
    const bad = await run('tenants', 'vat', 'set', 'acme', '--vat-id', 'BE0123456748', '--member-state', 'BE');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a well-formed EU VAT number/);
    expect((await run('tenants', 'vat', 'set', 'acme', '--vat-id', 'DE129273398', '--member-state', 'BE')).stderr).toMatch(/issued by DE, not by the member state of identification BE/);
    const set = await run('tenants', 'vat', 'set', 'acme', '--vat-id', 'BE0123456749', '--member-state', 'BE', '--oss-format', 'be-xml', '--scheme', 'union', '--json');
    expect(set.code).toBe(0);
    expect(set.json()).toMatchObject({ tenant: 'acme', vatId: 'BE0123456749', memberState: 'BE', ossFormat: 'be-xml', scheme: 'union' });
    expect((await run('tenants', 'vat', 'show', 'acme')).stdout).toMatch(/VAT ID\s+BE0123456749/);
  });

  it('fx import loads the ECB CSV; fx rate answers the day or the next publication', async () => {
    const imported = await run('fx', 'import', ECB_SAMPLE, '--json');
    expect(imported.code).toBe(0);
    expect(imported.json()).toMatchObject({ file: 'ecb-sample.csv', added: 49, changed: 0, currencies: ['CHF', 'GBP', 'HUF', 'JPY', 'PLN', 'SEK', 'USD'], firstDay: '2026-03-31', lastDay: '2026-10-01' });
    expect((await run('fx', 'import', ECB_SAMPLE, '--json')).json()).toMatchObject({ added: 0, unchanged: 49 });
    expect((await run('fx', 'rate', '--currency', 'USD', '--date', '2026-09-30', '--json')).json()).toEqual({ currency: 'USD', day: '2026-09-30', rate: '1.1689' });
    expect((await run('fx', 'rate', '--currency', 'USD', '--date', '2026-09-26', '--json')).json()).toMatchObject({ day: '2026-09-29' });
    const missing = await run('fx', 'rate', '--currency', 'USD', '--date', '2026-12-31');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No ECB reference rate for USD on 2026-12-31/);
    expect((await run('fx', 'import', path.join(dir.path, 'nope.csv'))).code).toBe(2);
  });

  it('payment-profiles create, list, update, show, delete', async () => {
    const created = await run('payment-profiles', 'create', '--tenant', 'acme', '--actor', `user:${userId}`, '--country', 'BE', '--stripe', 'acct_1', '--json');
    expect(created.code).toBe(0);
    const id = created.json<{ id: string; isDefault: boolean }>().id;
    expect(created.json()).toMatchObject({ isDefault: true, accounts: { stripe: 'acct_1' } });
    expect((await run('payment-profiles', 'list', '--tenant', 'acme')).stdout).toMatch(/stripe=acct_1/);
    const updated = await run('payment-profiles', 'update', id, '--tenant', 'acme', '--paypal', 'M1', '--json');
    expect(updated.json()).toMatchObject({ accounts: { stripe: 'acct_1', paypal: 'M1' } });
    expect((await run('payment-profiles', 'show', id, '--tenant', 'acme')).stdout).toMatch(/paypal\s+M1/);
    expect((await run('payment-profiles', 'create', '--tenant', 'acme', '--actor', 'robot', '--country', 'BE', '--stripe', 'a')).code).toBe(2);
    expect((await run('payment-profiles', 'delete', id, '--tenant', 'acme')).code).toBe(0);
    expect((await run('payment-profiles', 'show', id, '--tenant', 'acme')).code).toBe(1);
  });

  it('oss-report writes the nil return of a quarter into the data dir, or --out; --json for scripts', async () => {
    const res = await run('oss-report', '--quarter', '2026-Q3', '--tenant', 'acme', '--json');
    expect(res.code).toBe(0);
    const [summary] = res.json<Array<{ files: string[] }>>();
    expect(summary).toMatchObject({ tenant: 'acme', quarter: '2026-Q3', period: 'Q3.2026', nil: true, totalVatDueEur: '0.00' });
    expect(summary.files).toEqual([path.join(dataDir, 'reports', 'acme', '2026-Q3.xml'), path.join(dataDir, 'reports', 'acme', '2026-Q3.csv')]);
    expect(readFileSync(summary.files[0], 'utf8')).toContain('<OSSConsignment xmlns="http://www.minfin.fgov.be/OSSDeclaration"');
    const out = path.join(dir.path, 'returns');
    const csvOnly = await run('oss-report', '--quarter', '2026-Q3', '--format', 'csv', '--out', out);
    expect(csvOnly.code).toBe(0);
    expect(csvOnly.stdout).toMatch(/acme Q3\.2026 \(nil return\): taxable 0\.00 EUR, VAT due 0\.00 EUR/);
    expect(existsSync(path.join(out, 'acme', '2026-Q3.csv'))).toBe(true);
    expect(existsSync(path.join(out, 'acme', '2026-Q3.xml'))).toBe(false);
  });
});
