import { createHash } from 'node:crypto';
import type { ResolvedServerConfig } from '../config/index.js';

/** JSON with object keys sorted and undefined values left out, so equal configs hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The pool key: a hash of the whole resolved config and the user (anonymous when absent). */
export function poolKey(config: ResolvedServerConfig, ownerId: string | undefined): string {
  return createHash('sha256')
    .update(canonicalJson(config))
    .update('\0')
    .update(ownerId === undefined ? '\u0001anonymous' : `user:${ownerId}`)
    .digest('hex');
}
