import { findJsonIssues, type JsonValue } from '@chatd/core';
import { PayloadNotJsonError } from '../errors/pubsub-errors.js';

/** `['items', 2, 'at']` → `payload.items[2].at`, the way the payload would be written in code. */
function formatPath(path: readonly (string | number)[]): string {
  let text = 'payload';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `.${key}`;
  return text;
}

/**
 * Checks that `value` is a {@link JsonValue} from `@chatd/core`: a payload must reach
 * subscribers exactly as it was published, or be refused.
 * @throws PayloadNotJsonError `PAYLOAD_NOT_JSON`, naming the path of the first offending value.
 */
export function assertJsonValue(value: unknown): asserts value is JsonValue {
  const [issue] = findJsonIssues(value, 1);
  if (issue) throw new PayloadNotJsonError(formatPath(issue.path), issue.message);
}
