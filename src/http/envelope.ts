/** The success envelope of seed 002 §2. */
export function ok<T>(data: T): { success: true; data: T } {
  return { success: true, data };
}
