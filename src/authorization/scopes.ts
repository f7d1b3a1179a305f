/**
 * API-key scopes, and the tenant-API actions they open. A scope is `<resource>:read` or `<resource>:write`;
 * `write` implies `read`. Tenant-API actions of the policy are named by the scope they need (`users:read`,
 * `webhooks:write`…); the payments actions that predate the naming say theirs in LEGACY_ACTION_SCOPES.
 */
export const SCOPE_RESOURCES = [
  'users',
  'roles',
  'groups',
  'grants',
  'clients',
  'webhooks',
  'agents',
  'ownership',
  'payments',
  'reports',
  'authorize',
] as const;
export type ScopeResource = (typeof SCOPE_RESOURCES)[number];
export type ScopeLevel = 'read' | 'write';
export type Scope = `${ScopeResource}:${ScopeLevel}`;

export const ALL_SCOPES: readonly Scope[] = SCOPE_RESOURCES.flatMap((r) => [`${r}:read`, `${r}:write`] as Scope[]);

const SCOPE_PATTERN = new RegExp(`^(${SCOPE_RESOURCES.join('|')}):(read|write)$`);

export function isScope(value: string): value is Scope {
  return SCOPE_PATTERN.test(value);
}

/** Actions named before the `<resource>:<level>` convention, with the scope an API key needs for them. */
const LEGACY_ACTION_SCOPES: Readonly<Record<string, Scope>> = {
  'paymentProfile.read': 'payments:read',
  'paymentProfile.listAll': 'payments:read',
  'paymentProfile.manage': 'payments:write',
  'payment.read': 'payments:read',
  'payment.report': 'payments:write',
  'ossReport.read': 'reports:read',
  'ownership.read': 'ownership:read',
  'ownership.register': 'ownership:write',
  'ownership.change': 'ownership:write',
  'agent.read': 'agents:read',
  'agent.listAll': 'agents:read',
  'agent.manage': 'agents:write',
  'decision.check': 'authorize:read',
};

/** The scope an action needs, or null: no API key may do it (platform administration, API-key management…). */
export function scopeRequiredFor(action: string): Scope | null {
  if (isScope(action)) return action;
  return LEGACY_ACTION_SCOPES[action] ?? null;
}

/** Whether holding `scopes` covers `needed` (`payments:write` covers `payments:read`). */
export function scopesCover(scopes: readonly string[], needed: Scope): boolean {
  if (scopes.includes(needed)) return true;
  const [resource, level] = needed.split(':');
  return level === 'read' && scopes.includes(`${resource}:write`);
}

/** Whether `scopes` allow the action at all (before the rule about its target runs). */
export function scopesAllow(scopes: readonly string[], action: string): boolean {
  const needed = scopeRequiredFor(action);
  return needed !== null && scopesCover(scopes, needed);
}
