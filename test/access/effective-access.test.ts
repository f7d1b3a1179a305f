import { describe, expect, it } from 'vitest';
import { computeEffectiveAccess } from '../../src/access/effective-access.ts';
import { BUILTIN_MODULES } from '../../src/access/modules.ts';

const ALL_OFF = Object.fromEntries(BUILTIN_MODULES.map((m) => [m, false]));

// Seed 002 §16: entitlements ∩ grants, then permissions filtered by effective modules.
describe('computeEffectiveAccess (§16)', () => {
  it.each([
    {
      case: 'nothing bought, nothing granted',
      entitlements: [],
      grants: [],
      permissions: [],
      modules: {},
      effective: [],
    },
    {
      case: 'granted but not bought → off',
      entitlements: ['basic'],
      grants: ['finance'],
      permissions: ['finance.expense.view'],
      modules: {},
      effective: [],
    },
    {
      case: 'bought but not granted → off',
      entitlements: ['finance', 'basic'],
      grants: ['basic'],
      permissions: ['finance.read', 'basic.dashboard'],
      modules: { basic: true },
      effective: ['basic.dashboard'],
    },
    {
      case: 'the seed example: ADMIN with basic + finance',
      entitlements: ['basic', 'finance', 'ai'],
      grants: ['basic', 'finance'],
      permissions: ['finance.read', 'finance.write', 'basic.dashboard', 'market.contract.approve'],
      modules: { basic: true, finance: true },
      effective: ['basic.dashboard', 'finance.read', 'finance.write'],
    },
    {
      case: 'permissions outside any module pass unchanged',
      entitlements: [],
      grants: [],
      permissions: ['publish:article', 'reports.view', 'basic'],
      modules: {},
      effective: ['basic', 'publish:article', 'reports.view'],
    },
    {
      case: 'an operator-defined module gates its permissions like a built-in one',
      known: ['crm'],
      entitlements: ['crm'],
      grants: [],
      permissions: ['crm.lead.view'],
      modules: { crm: false },
      effective: [],
    },
    {
      case: 'an operator-defined module, bought and granted',
      known: ['crm'],
      entitlements: ['crm'],
      grants: ['crm'],
      permissions: ['crm.lead.view', 'crm.lead.view'],
      modules: { crm: true },
      effective: ['crm.lead.view'],
    },
    {
      case: 'a module named only by the entitlements is still reported and gates',
      entitlements: ['studio'],
      grants: [],
      permissions: ['studio.edit'],
      modules: { studio: false },
      effective: [],
    },
  ])('$case', ({ known = [], entitlements, grants, permissions, modules, effective }) => {
    const result = computeEffectiveAccess({
      knownModules: [...BUILTIN_MODULES, ...known],
      entitlements,
      moduleGrants: grants,
      permissions,
    });
    expect(result.modules).toEqual({ ...ALL_OFF, ...Object.fromEntries([...known, ...entitlements].map((m) => [m, false])), ...modules });
    expect(Object.keys(result.modules)).toEqual(Object.keys(result.modules).sort());
    expect(result.permissions).toEqual(effective);
  });
});
