import { permissionModule } from './modules.ts';

export interface AccessInputs {
  /** Every module the response must mention (built-in, operator-defined, and any the entitlements name). */
  knownModules: Iterable<string>;
  /** Level 1: modules the company bought. */
  entitlements: Iterable<string>;
  /** Level 2: modules granted to the membership. */
  moduleGrants: Iterable<string>;
  /** Level 3: permissions granted to the membership. */
  permissions: Iterable<string>;
}

export interface EffectiveAccess {
  /** Every known module → whether it is effective (sorted by name). */
  modules: Record<string, boolean>;
  /** Granted permissions that survive the module filter (sorted). */
  permissions: string[];
}

/**
 * Seed 002 §16, a pure function: effective modules = entitlements ∩ grants; a permission whose first
 * dot-separated segment names a known module survives only while that module is effective; other
 * permissions (`publish:article`, `reports.view` when `reports` is no module) pass unchanged.
 */
export function computeEffectiveAccess(input: AccessInputs): EffectiveAccess {
  const entitled = new Set(input.entitlements);
  const granted = new Set(input.moduleGrants);
  const known = new Set(input.knownModules);
  // A module the company bought or the user holds is known even if no catalog lists it.
  for (const m of entitled) known.add(m);
  for (const m of granted) known.add(m);

  const modules: Record<string, boolean> = {};
  for (const m of [...known].sort()) modules[m] = entitled.has(m) && granted.has(m);

  const permissions = [...new Set(input.permissions)]
    .filter((p) => {
      const module = permissionModule(p);
      return module === null || !known.has(module) || modules[module];
    })
    .sort();
  return { modules, permissions };
}
