#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npm ci && npx kimauth` needs no build step.
// The single binary (npm run build:binary) bundles the same entry point instead.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
