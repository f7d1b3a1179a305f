// Kept in step with package.json by the release script; the binary cannot read package.json at run time.
export const VERSION = '0.1.0';
