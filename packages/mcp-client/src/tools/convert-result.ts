/** An image or other binary a tool returned, kept for the model as image or file content. */
export interface McpToolMedia {
  /** `image` for image media types, `file` for everything else (audio, PDFs, …). */
  type: 'image' | 'file';
  /** The bytes, base64-encoded (the AI SDK's content encoding; never shown to the model as text). */
  data: string;
  /** The media type, e.g. `image/png`. */
  mediaType: string;
}

/** What a wrapped MCP tool's `execute` returns; `toModelOutput` turns it into model content. */
export interface McpToolOutput {
  /** The server's `isError` flag, or true when the call failed in transport or protocol. */
  isError: boolean;
  /** All text content, joined by newlines, repaired and capped at `maxResultBytes`. */
  text: string;
  /** Images and other binary content, in order. */
  media: McpToolMedia[];
  /** Whether `text` was cut to `maxResultBytes`. */
  truncated: boolean;
}

/** The MCP content item shapes this converter understands (a subset of the SDK's union). */
type ContentItem = { type: string } & Record<string, unknown>;

/** An MCP `tools/call` result, as loosely typed as servers send it. */
export interface McpCallResultLike {
  /** Content items. */
  content?: unknown;
  /** Structured content. */
  structuredContent?: unknown;
  /** The error flag. */
  isError?: unknown;
  /** The legacy `toolResult` field of pre-2024-11 servers. */
  toolResult?: unknown;
}

/**
 * Repairs text that is not well-formed Unicode (lone surrogates, the JavaScript form of invalid
 * UTF-8) by replacing each bad code unit with U+FFFD.
 */
export function repairText(text: string): string {
  return text.toWellFormed();
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(data: unknown): Buffer | undefined {
  if (typeof data !== 'string') return undefined;
  const compact = data.replace(/\s+/g, '');
  if (compact.length % 4 === 1 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

function isTextMediaType(mediaType: string): boolean {
  return (
    mediaType.startsWith('text/') ||
    /^application\/(json|xml|javascript|yaml|x-yaml|[a-z.+-]*\+(json|xml))\b/.test(mediaType)
  );
}

/** The marker used when the full one does not fit in the cap. */
const SHORT_MARKER = '[truncated]';

/** The longest prefix of `encoded` within `maxBytes` bytes that does not split a character. */
function prefixWithin(encoded: Buffer, maxBytes: number): string {
  let end = Math.max(0, maxBytes);
  // Step back over UTF-8 continuation bytes so no character is split.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end).toString('utf8');
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes, marker included, never in the middle of a
 * character.
 *
 * The cap is a hard limit on what reaches the model, so the marker gives way when it is small:
 * the full marker (`[truncated: result was N bytes, limit M]`, which tells the model how much
 * it missed) when it fits, else the short `[truncated]`, else (a cap under 11 bytes) the cut
 * text alone. Kept text and marker are separated by a newline; a marker with no room for text
 * before it stands alone.
 */
export function capText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return { text, truncated: false };
  const encoded = Buffer.from(text, 'utf8');
  // Both markers are ASCII: their length is their size in bytes.
  for (const marker of [
    `[truncated: result was ${bytes} bytes, limit ${maxBytes}]`,
    SHORT_MARKER,
  ]) {
    if (marker.length > maxBytes) continue;
    const kept = prefixWithin(encoded, maxBytes - marker.length - 1);
    return { text: kept === '' ? marker : `${kept}\n${marker}`, truncated: true };
  }
  return { text: prefixWithin(encoded, maxBytes), truncated: true };
}

/**
 * Converts an MCP tool result for the model: text items joined by newlines; embedded resources
 * and resource links described; structured content appended as JSON; images and other binary
 * kept as media; invalid UTF-8 repaired; text capped at `maxResultBytes`; `isError` carried.
 */
export function convertCallResult(
  result: McpCallResultLike,
  maxResultBytes: number,
): McpToolOutput {
  const texts: string[] = [];
  const media: McpToolMedia[] = [];
  const content = Array.isArray(result.content) ? (result.content as ContentItem[]) : [];
  for (const item of content) {
    if (typeof item !== 'object' || item === null) continue;
    switch (item.type) {
      case 'text':
        if (typeof item.text === 'string') texts.push(repairText(item.text));
        break;
      case 'image':
      case 'audio': {
        const mediaType =
          typeof item.mimeType === 'string' ? item.mimeType : 'application/octet-stream';
        if (decodeBase64(item.data) === undefined) {
          texts.push(`[${item.type} could not be decoded: invalid base64]`);
        } else {
          media.push({
            type: item.type === 'image' || mediaType.startsWith('image/') ? 'image' : 'file',
            data: (item.data as string).replace(/\s+/g, ''),
            mediaType,
          });
        }
        break;
      }
      case 'resource':
        describeResource(item.resource, texts, media);
        break;
      case 'resource_link': {
        const name = typeof item.name === 'string' ? item.name : 'resource';
        const uri = typeof item.uri === 'string' ? item.uri : '';
        const description =
          typeof item.description === 'string' && item.description !== ''
            ? `: ${item.description}`
            : '';
        texts.push(repairText(`[resource: ${name} (${uri})${description}]`));
        break;
      }
      default:
        texts.push(`[unsupported content type: ${String(item.type).slice(0, 40)}]`);
    }
  }
  if (result.structuredContent !== undefined && result.structuredContent !== null) {
    const json = JSON.stringify(result.structuredContent);
    // Servers usually repeat structured content as a text item; don't send it twice.
    if (!texts.includes(json)) texts.push(json);
  }
  if (content.length === 0 && result.toolResult !== undefined) {
    texts.push(repairText(JSON.stringify(result.toolResult)));
  }
  const capped = capText(texts.join('\n'), maxResultBytes);
  return {
    isError: result.isError === true,
    text: capped.text,
    media,
    truncated: capped.truncated,
  };
}

function describeResource(resource: unknown, texts: string[], media: McpToolMedia[]): void {
  if (typeof resource !== 'object' || resource === null) {
    texts.push('[resource: missing]');
    return;
  }
  const record = resource as Record<string, unknown>;
  const uri = typeof record.uri === 'string' ? record.uri : '';
  const mediaType = typeof record.mimeType === 'string' ? record.mimeType : undefined;
  if (typeof record.text === 'string') {
    texts.push(repairText(record.text));
    return;
  }
  const bytes = decodeBase64(record.blob);
  if (bytes === undefined) {
    texts.push(repairText(`[resource ${uri} could not be decoded: invalid base64]`));
    return;
  }
  if (mediaType !== undefined && isTextMediaType(mediaType)) {
    texts.push(decoder.decode(bytes));
    return;
  }
  const type = mediaType?.startsWith('image/') ? 'image' : 'file';
  texts.push(
    repairText(
      `[resource: ${uri} (${mediaType ?? 'binary'}, ${bytes.length} bytes, attached as ${type})]`,
    ),
  );
  media.push({
    type,
    data: bytes.toString('base64'),
    mediaType: mediaType ?? 'application/octet-stream',
  });
}
