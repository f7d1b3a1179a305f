import { describe, expect, it } from 'vitest';
import { generateSigningKey, typableKid } from '../../src/keys/signing-keys.ts';
import { cli } from '../support/cli.ts';

/** `kimauth keys retire <kid>`: a kid that starts with "-" would be read as an option (exit 2, "unknown option"). */
describe('kids can be typed on the command line', () => {
  it('refuses a thumbprint that starts with "-"', () => {
    expect(typableKid('-Abc')).toBe(false);
    expect(typableKid('_Abc')).toBe(true);
    expect(typableKid('Abc-')).toBe(true);
  });

  it('never makes such a kid (300 keys: without the rule, about 99 % of runs would meet one)', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      for (let i = 0; i < 150; i++) expect((await generateSigningKey(alg)).kid).not.toMatch(/^-/);
    }
  });

  it('shows how to pass an older kid that starts with "-"', async () => {
    const res = await cli(['keys', '--help']);
    expect(res.stdout).toContain('kimauth keys retire -- <kid>');
  });
});
