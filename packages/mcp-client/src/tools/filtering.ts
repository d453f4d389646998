/**
 * Whether a tool is exposed: a non-empty allow list admits only its names (the deny list is then
 * ignored); otherwise the deny list excludes. Exact match on the original tool name.
 */
export function isToolAllowed(
  toolName: string,
  allowList: readonly string[],
  denyList: readonly string[],
): boolean {
  if (allowList.length > 0) return allowList.includes(toolName);
  return !denyList.includes(toolName);
}
