import { createHash } from 'node:crypto';

/** Longest tool name providers accept (`^[a-zA-Z0-9_-]{1,64}$`). */
export const MAX_TOOL_NAME_LENGTH = 64;
/** Characters kept from a colliding name before `_` and the 6-hex suffix. */
const COLLISION_PREFIX_LENGTH = 57;

/** Replaces every character outside `[A-Za-z0-9_-]` with `_`. */
export function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** `slug__tool`, sanitized and cut to 64 characters (before collision handling). */
export function baseToolName(slug: string, toolName: string): string {
  return `${sanitizeName(slug)}__${sanitizeName(toolName)}`.slice(0, MAX_TOOL_NAME_LENGTH);
}

/** The 6 hex characters hashed from a config id and an original tool name. */
export function collisionSuffix(configId: string, toolName: string): string {
  return createHash('sha256')
    .update(configId)
    .update('\0')
    .update(toolName)
    .digest('hex')
    .slice(0, 6);
}

/** One tool to name: which server it comes from and its original name. */
export interface ToolNameRequest {
  /** The config id of the server. */
  configId: string;
  /** The server's slug. */
  slug: string;
  /** The tool's original name on the server. */
  toolName: string;
}

/** Tools whose names collided, and the names they were given instead. */
export interface McpToolNameCollision {
  /** The name they all would have had. */
  name: string;
  /** Each colliding tool and its final name. */
  tools: {
    /** The config id of the tool's server. */
    configId: string;
    /** The tool's original name on the server. */
    toolName: string;
    /** The suffixed name the model sees. */
    assignedName: string;
  }[];
}

/** Result of {@link assignToolNames}. */
export interface ToolNameAssignment<T extends ToolNameRequest> {
  /** Every request with its final name, sorted by name then config id. */
  named: (T & { name: string })[];
  /** Collisions found, each with the suffixed names. */
  collisions: McpToolNameCollision[];
}

/**
 * Gives every tool a provider-safe, deterministic name: `slug__tool`, sanitized, at most 64
 * characters. When names collide (after truncation or across servers), every colliding tool is
 * renamed `<name cut to 57>_<6 hex of sha256(configId, toolName)>`, so all stay reachable and keep
 * their names turn after turn. The result is sorted by final name, ties by config id.
 */
export function assignToolNames<T extends ToolNameRequest>(
  requests: readonly T[],
): ToolNameAssignment<T> {
  const groups = new Map<string, T[]>();
  for (const request of requests) {
    const name = baseToolName(request.slug, request.toolName);
    const group = groups.get(name);
    if (group) group.push(request);
    else groups.set(name, [request]);
  }
  const named: (T & { name: string })[] = [];
  const collisions: McpToolNameCollision[] = [];
  for (const [name, group] of groups) {
    if (group.length === 1) {
      named.push({ ...(group[0] as T), name });
      continue;
    }
    const sorted = [...group].sort(compareRequests);
    const collision: McpToolNameCollision = { name, tools: [] };
    for (const request of sorted) {
      const assignedName = `${name.slice(0, COLLISION_PREFIX_LENGTH)}_${collisionSuffix(request.configId, request.toolName)}`;
      named.push({ ...request, name: assignedName });
      collision.tools.push({
        configId: request.configId,
        toolName: request.toolName,
        assignedName,
      });
    }
    collisions.push(collision);
  }
  named.sort((a, b) => compare(a.name, b.name) || compareRequests(a, b));
  collisions.sort((a, b) => compare(a.name, b.name));
  return { named, collisions };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRequests(a: ToolNameRequest, b: ToolNameRequest): number {
  return compare(a.configId, b.configId) || compare(a.toolName, b.toolName);
}
