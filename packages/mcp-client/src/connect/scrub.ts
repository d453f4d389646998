import { redactUrl } from '@chatd/core';

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/**
 * Makes an error message safe to show or log: every URL in it is redacted (no userinfo, query
 * or fragment) and every known secret value is replaced by `[redacted]`.
 */
export function scrubMessage(text: string, secrets: readonly string[] = []): string {
  let result = text.replace(URL_IN_TEXT, (match) => redactUrl(match));
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('[redacted]');
  }
  return result.length > 2000 ? `${result.slice(0, 2000)}…` : result;
}
