import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import { checkedResource, ownerActionsAndOwner, ownerIsPresent, ownerOf, type Owner, type ResourceKey } from '../ownership/ownership.ts';
import { resolveSubject, type ResolvedSubject, type SubjectRef } from './subjects.ts';
import type { TenantTokenVerifier } from '../tokens/tenant-tokens.ts';

/**
 * The authorization check applications make "with the ownership context, not just the actor identity"
 * (seed 000): may this subject take this action on this resource? Allowed when `action:type` is in the subject's
 * permissions, or when the subject owns the resource (directly, through the owning group, or as an agent of the
 * owner and within its own grants) and the tenant's owner policy lets owners take that action on that type.
 */
export interface CheckInput {
  subject: SubjectRef;
  action: string;
  resource: ResourceKey;
}

export type Via =
  | { type: 'permission'; permission: string }
  | { type: 'owner'; owner: { type: string; id: string }; through?: 'group' | 'agent owner' };

export interface Decision {
  allowed: boolean;
  reason: string;
  via: Via[];
}

const ACTION = /^[a-z][a-z0-9_-]{0,62}$/;

function checkedAction(action: string): string {
  if (typeof action !== 'string' || !ACTION.test(action)) throw validationError(`"${action}" is not an action (lower case letters, digits, _ -; e.g. publish)`);
  return action;
}

/** Whether the subject stands for the owner: is it, belongs to the owning group, or is an agent of either. */
function ownershipVia(subject: ResolvedSubject, owner: { type: string; id: string }): Via | null {
  if (subject.type === owner.type && subject.id === owner.id) return { type: 'owner', owner };
  if (subject.type === 'agent' && subject.owner) {
    if (subject.owner.type === owner.type && subject.owner.id === owner.id) return { type: 'owner', owner, through: 'agent owner' };
    if (owner.type === 'group' && subject.groupIds().has(owner.id)) return { type: 'owner', owner, through: 'agent owner' };
    return null;
  }
  if (owner.type === 'group' && subject.groupIds().has(owner.id)) return { type: 'owner', owner, through: 'group' };
  return null;
}

const ownersKey = (resource: ResourceKey) => `${resource.app}\u0000${resource.type}\u0000${resource.id}`;

/**
 * What one call of the check reads more than once: the owner policy of a type, the owner of a resource and whether
 * an owner is still present. A batch of checks on the same resources asks the registry once per resource (the
 * answers cannot change within a call: the check is one synchronous run of reads).
 */
export class DecisionReads {
  private readonly ownerActions = new Map<string, string[]>();
  private readonly owners = new Map<string, Owner | null>();
  private readonly present = new Map<string, boolean>();

  constructor(
    private readonly deps: Deps,
    private readonly tenantId: string,
  ) {}

  /** The owner policy of the resource's type; the first time a type is asked, the resource's owner comes along. */
  ownerActionsFor(resource: ResourceKey): string[] {
    let actions = this.ownerActions.get(resource.type);
    if (!actions) {
      const both = ownerActionsAndOwner(this.deps, this.tenantId, resource);
      actions = both.actions;
      this.ownerActions.set(resource.type, actions);
      this.owners.set(ownersKey(resource), both.owner);
    }
    return actions;
  }

  ownerOf(resource: ResourceKey): Owner | null {
    const key = ownersKey(resource);
    let found = this.owners.get(key);
    if (found === undefined) {
      found = ownerOf(this.deps, this.tenantId, resource);
      this.owners.set(key, found);
    }
    return found;
  }

  /**
   * Whether the owner still belongs to the tenant. The owner an agent subject was just found standing for (an
   * active member of the enabled tenant, or an existing group) is present by the stricter rule; it is not read again.
   */
  ownerPresent(owner: Owner, subject: ResolvedSubject): boolean {
    const vouched = subject.vouchingOwner;
    if (vouched && vouched.type === owner.type && vouched.id === owner.id) return true;
    const key = `${owner.type}\u0000${owner.id}`;
    let present = this.present.get(key);
    if (present === undefined) {
      present = ownerIsPresent(this.deps, this.tenantId, owner);
      this.present.set(key, present);
    }
    return present;
  }
}

export function decide(
  deps: Deps,
  tenant: { id: string; slug: string },
  subject: ResolvedSubject,
  actionText: string,
  key: ResourceKey,
  reads: DecisionReads = new DecisionReads(deps, tenant.id),
): Decision {
  const action = checkedAction(actionText);
  const resource = checkedResource(key);
  if (!subject.can) return { allowed: false, reason: `Denied: ${subject.refusal}`, via: [] };
  const permission = `${action}:${resource.type}`;
  const via: Via[] = [];
  if (subject.can.has(permission)) via.push({ type: 'permission', permission });
  // Ownership counts only for actions the tenant's owner policy names for this type.
  if (reads.ownerActionsFor(resource).includes(action)) {
    const owner = reads.ownerOf(resource);
    const ownerVia = owner ? ownershipVia(subject, owner) : null;
    // An agent is bounded by its grants: owning the resource through its owner adds nothing it was not granted.
    // An owner who left the tenant owns nothing until transferred (asked last: it is the one extra read).
    if (owner && ownerVia && (subject.type !== 'agent' || subject.can.has(permission)) && reads.ownerPresent(owner, subject)) via.push(ownerVia);
  }
  if (via.length === 0) {
    return { allowed: false, reason: `Denied: ${permission} is not among the subject's permissions and it does not own ${resource.app}/${resource.type}/${resource.id} with a right to ${action}`, via };
  }
  const reasons = via.map((v) => (v.type === 'permission' ? `holds ${v.permission}` : `owns the resource${v.through ? ` (through its ${v.through})` : ''} and owners may ${action}`));
  return { allowed: true, reason: `Allowed: ${reasons.join('; ')}`, via };
}

/** One check. */
export function checkAccess(deps: Deps, tenant: { id: string; slug: string }, verifier: TenantTokenVerifier, input: CheckInput): Decision {
  return decide(deps, tenant, resolveSubject(deps, tenant, verifier, input.subject), input.action, input.resource);
}

export const MAX_BATCH = 1_000;

/** Many checks in one call; each distinct subject is resolved once. */
export function checkAccessBatch(deps: Deps, tenant: { id: string; slug: string }, verifier: TenantTokenVerifier, checks: readonly CheckInput[]): Decision[] {
  if (checks.length > MAX_BATCH) throw validationError(`At most ${MAX_BATCH} checks per call`);
  const subjects = new Map<string, ResolvedSubject>();
  const reads = new DecisionReads(deps, tenant.id);
  // Checks of one subject usually come in a row: comparing a token with the previous one is cheaper than hashing
  // its ~1 KB again for the map (a fresh string per check, as parsed from the body).
  let previous: { key: string; subject: ResolvedSubject } | undefined;
  return checks.map((check) => {
    const key = typeof check.subject === 'string' ? check.subject : `${check.subject.type}\u0000${check.subject.id}`;
    let subject = previous?.key === key ? previous.subject : subjects.get(key);
    if (!subject) {
      subject = resolveSubject(deps, tenant, verifier, check.subject);
      subjects.set(key, subject);
    }
    previous = { key, subject };
    return decide(deps, tenant, subject, check.action, check.resource, reads);
  });
}
