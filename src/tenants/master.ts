/** The reserved tenant that is the instance itself: platform staff, platform events and the platform signing key. */
export const MASTER_SLUG = 'master';

/**
 * A company is any tenant but `master` (seed 002 §2): company listings, company memberships and the internal
 * company routes never show the platform tenant.
 */
export function isCompany(tenant: { slug: string }): boolean {
  return tenant.slug !== MASTER_SLUG;
}
