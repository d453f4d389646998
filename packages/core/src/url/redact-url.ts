// `scheme://[userinfo@]rest[?query][#fragment]`, for URLs the WHATWG parser rejects but libpq
// accepts, such as a host-less `postgresql://user@/db?host=/var/run/postgresql`.
const SCHEME_URL = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^@/?#]*@)?([^?#]*)/i;

/**
 * Returns `url` without credentials, query string or fragment, safe to log.
 *
 * Works for HTTP URLs (MCP servers, provider base URLs) and database URLs
 * (`postgres://user:password@host/db?sslmode=…`, including libpq's host-less form). Text that is
 * not a URL is replaced by `[invalid url]` rather than echoed, because it may itself be a secret.
 *
 * @example
 * ```ts
 * redactUrl('postgres://app:s3cret@db:5432/chat?sslmode=require'); // 'postgres://db:5432/chat'
 * ```
 */
export function redactUrl(url: string | URL): string {
  const text = url.toString();
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    const match = SCHEME_URL.exec(text);
    return match ? `${match[1]}${match[2]}` : '[invalid url]';
  }
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString();
}
