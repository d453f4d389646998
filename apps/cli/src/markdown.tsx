import { Box, Text, Transform } from 'ink';
import { Lexer, type MarkedToken, type Token } from 'marked';
import type { ReactNode } from 'react';
import { safeText } from './terminal-text.js';

/** How a run of inline text looks. */
export interface InlineStyle {
  bold?: boolean;
  italic?: boolean;
  strikethrough?: boolean;
  /** Inline code. */
  code?: boolean;
  /** A link's text. */
  link?: boolean;
  /** Secondary text, e.g. a link's URL. */
  dim?: boolean;
}

/** A run of text with one style. */
export interface Span {
  text: string;
  style: InlineStyle;
}

/** One item of a list: its marker (`•`, `3.`, `• [x]`) and what it holds. */
export interface ListItem {
  marker: string;
  blocks: MarkdownBlock[];
}

/** Markdown as blocks a terminal can show, independent of how they are drawn. */
export type MarkdownBlock =
  | { type: 'heading'; depth: number; spans: Span[] }
  | { type: 'paragraph'; spans: Span[] }
  | { type: 'code'; language: string; text: string }
  | { type: 'list'; tight: boolean; items: ListItem[] }
  | { type: 'quote'; blocks: MarkdownBlock[] }
  | { type: 'rule' }
  | { type: 'table'; header: Span[][]; rows: Span[][][] };

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&nbsp;': ' ',
};

/** marked leaves character references in text as written; a terminal shows the character. */
function decodeEntities(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39|nbsp);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** Terminals put tab stops every 8 columns, but ink measures a tab as nothing: expand them. */
function expandTabs(line: string, width = 4): string {
  let out = '';
  for (const character of line) {
    out += character === '\t' ? ' '.repeat(width - (out.length % width)) : character;
  }
  return out;
}

function inline(tokens: readonly Token[] | undefined, style: InlineStyle = {}): Span[] {
  const spans: Span[] = [];
  for (const raw of tokens ?? []) {
    const token = raw as MarkedToken;
    switch (token.type) {
      case 'strong':
        spans.push(...inline(token.tokens, { ...style, bold: true }));
        break;
      case 'em':
        spans.push(...inline(token.tokens, { ...style, italic: true }));
        break;
      case 'del':
        spans.push(...inline(token.tokens, { ...style, strikethrough: true }));
        break;
      case 'codespan':
        spans.push({ text: token.text, style: { ...style, code: true } });
        break;
      case 'br':
        spans.push({ text: '\n', style });
        break;
      case 'link': {
        spans.push(...inline(token.tokens, { ...style, link: true }));
        // Autolinks show the address already; others show it after the text.
        const shown = token.href === token.text || token.href === `mailto:${token.text}`;
        if (!shown) spans.push({ text: ` (${token.href})`, style: { ...style, dim: true } });
        break;
      }
      case 'image':
        spans.push({ text: `[image: ${token.text}]`, style: { ...style, italic: true } });
        spans.push({ text: ` (${token.href})`, style: { ...style, dim: true } });
        break;
      case 'text':
        if (token.tokens !== undefined && token.tokens.length > 0)
          spans.push(...inline(token.tokens, style));
        else spans.push({ text: decodeEntities(token.text), style });
        break;
      case 'escape':
        spans.push({ text: token.text, style });
        break;
      case 'html':
        spans.push({ text: token.text, style });
        break;
      case 'checkbox':
        break; // shown in the list item's marker
      default:
        spans.push({ text: decodeEntities(raw.raw), style });
    }
  }
  return merge(spans);
}

/** Joins neighbouring spans of the same style, so ink gets fewer nested `<Text>`s. */
function merge(spans: Span[]): Span[] {
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last !== undefined && sameStyle(last.style, span.style)) last.text += span.text;
    else if (span.text !== '') merged.push({ text: span.text, style: span.style });
  }
  return merged;
}

function sameStyle(a: InlineStyle, b: InlineStyle): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof InlineStyle>;
  return [...keys].every((key) => (a[key] ?? false) === (b[key] ?? false));
}

function blocks(tokens: readonly Token[]): MarkdownBlock[] {
  const out: MarkdownBlock[] = [];
  for (const raw of tokens) {
    const token = raw as MarkedToken;
    switch (token.type) {
      case 'space':
      case 'def':
        break;
      case 'heading':
        out.push({ type: 'heading', depth: token.depth, spans: inline(token.tokens) });
        break;
      case 'paragraph':
        out.push({ type: 'paragraph', spans: inline(token.tokens) });
        break;
      case 'text':
        // Block-level text: the content of a tight list item.
        out.push({
          type: 'paragraph',
          spans: inline(token.tokens ?? [{ type: 'text', raw: token.raw, text: token.text }]),
        });
        break;
      case 'code':
        out.push({
          type: 'code',
          language: token.lang?.trim().split(/\s+/)[0] ?? '',
          text: token.text
            .split('\n')
            .map((line) => expandTabs(line))
            .join('\n'),
        });
        break;
      case 'list': {
        const start = typeof token.start === 'number' ? token.start : 1;
        out.push({
          type: 'list',
          tight: !token.loose,
          items: token.items.map((item, index) => {
            const bullet = token.ordered ? `${start + index}.` : '•';
            return {
              marker: item.task ? `${bullet} [${item.checked === true ? 'x' : ' '}]` : bullet,
              blocks: blocks(item.tokens.filter((child) => child.type !== 'checkbox')),
            };
          }),
        });
        break;
      }
      case 'blockquote':
        out.push({ type: 'quote', blocks: blocks(token.tokens) });
        break;
      case 'hr':
        out.push({ type: 'rule' });
        break;
      case 'table':
        out.push({
          type: 'table',
          header: token.header.map((cell) => inline(cell.tokens)),
          rows: token.rows.map((row) => row.map((cell) => inline(cell.tokens))),
        });
        break;
      case 'html':
        out.push({ type: 'paragraph', spans: [{ text: token.text.trimEnd(), style: {} }] });
        break;
      default:
        out.push({ type: 'paragraph', spans: [{ text: raw.raw.trimEnd(), style: {} }] });
    }
  }
  return out;
}

/** The fence (```` ``` ```` or `~~~`, with its length) a line opens or closes, if any. */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Streamed text is markdown cut anywhere. Before it is shown, markers that are still open at
 * its end are closed (or dropped when nothing follows them yet), so a half-written `**bold`
 * shows bold at once instead of flashing literal asterisks, and a trailing line that may yet
 * become block syntax (`-`, `#`, `` ` ``, `1.`) waits for its next character. An unclosed code
 * fence needs nothing: it runs to the end of the text, which is how it is meant to look.
 */
export function closeOpenMarkers(text: string): string {
  const lines = text.split('\n');
  let fence: string | undefined;
  for (const line of lines) {
    const opened = FENCE.exec(line)?.[1];
    if (opened === undefined) continue;
    if (fence === undefined) fence = opened;
    else if (opened[0] === fence[0] && opened.length >= fence.length && line.trim() === opened)
      fence = undefined;
  }
  if (fence !== undefined) return text;

  // A last line still being written that is so far only marker characters.
  const last = lines.at(-1) ?? '';
  if (lines.length > 0 && /^\s*([-=*_`~#>+]+|\d+[.)]?)\s*$/.test(last)) lines.pop();
  let kept = lines.join('\n');

  // Inline markers of the last paragraph (earlier ones are complete or never will be): what
  // follows the last blank line or code fence.
  let start = 0;
  let offset = 0;
  for (const line of lines) {
    offset += line.length + 1;
    if (line.trim() === '' || FENCE.test(line)) start = offset;
  }
  start = Math.min(start, kept.length);
  const paragraph = kept.slice(start);
  const open: Array<{ marker: string; at: number }> = [];
  let code: { marker: string; at: number } | undefined;
  let index = 0;
  while (index < paragraph.length) {
    const character = paragraph[index];
    if (character === '\\') {
      index += 2;
      continue;
    }
    if (character === '`') {
      const run = /^`+/.exec(paragraph.slice(index))?.[0] ?? '`';
      if (code === undefined) code = { marker: run, at: index };
      else if (run === code.marker) code = undefined;
      index += run.length;
      continue;
    }
    const marker =
      code === undefined ? ['**', '~~'].find((m) => paragraph.startsWith(m, index)) : undefined;
    if (marker !== undefined) {
      const opened = open.findIndex((entry) => entry.marker === marker);
      if (opened === -1) open.push({ marker, at: index });
      else open.splice(opened, 1);
      index += marker.length;
      continue;
    }
    index += 1;
  }
  if (code !== undefined) open.push(code);
  if (open.length === 0) return kept;
  // Emphasis only closes after a non-space character: put the closers before trailing spaces.
  let body = kept.trimEnd();
  const closers: string[] = [];
  for (const entry of open.reverse()) {
    const at = start + entry.at;
    if (at + entry.marker.length >= body.length) body = body.slice(0, at).trimEnd();
    else closers.push(entry.marker);
  }
  kept = body + closers.join('');
  return kept;
}

/**
 * Markdown as terminal blocks (headings, paragraphs, code, lists, quotes, rules, tables), with
 * `streaming` for text that is still arriving (see {@link closeOpenMarkers}). Control
 * characters are made visible first ({@link safeText}): the text is a model's.
 */
export function markdownBlocks(text: string, { streaming = false } = {}): MarkdownBlock[] {
  const safe = safeText(text);
  return blocks(Lexer.lex(streaming ? closeOpenMarkers(safe) : safe));
}

/** ESC [ … m: the colour and style codes ink puts before a line's text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape codes
const LEADING_SPACE = /^((?:\u001B\[[0-9;]*m)*) /;

/**
 * ink wraps with `trim: false`, so a line broken at a space that just did not fit starts the
 * next line with that space: drop it from wrapped lines (paragraph lines never start with one).
 */
function dropWrapSpace(line: string, index: number): string {
  return index === 0 ? line : line.replace(LEADING_SPACE, '$1');
}

function Inline({ spans, heading }: { spans: readonly Span[]; heading?: number }) {
  return (
    <Transform transform={dropWrapSpace}>
      <Text
        {...(heading === undefined
          ? {}
          : { bold: true, color: 'magenta', underline: heading === 1 })}
      >
        {spans.map((span, index) => (
          <Text
            // biome-ignore lint/suspicious/noArrayIndexKey: spans have no identity but their place
            key={index}
            bold={span.style.bold === true}
            italic={span.style.italic === true}
            strikethrough={span.style.strikethrough === true}
            underline={span.style.link === true}
            dimColor={span.style.dim === true}
            {...(span.style.code === true
              ? { color: 'yellow' }
              : span.style.link === true
                ? { color: 'blue' }
                : {})}
          >
            {span.text}
          </Text>
        ))}
      </Text>
    </Transform>
  );
}

/** A left bar: quotes and code stand apart from the text around them, at any width. */
const BAR = {
  borderStyle: 'single',
  borderTop: false,
  borderRight: false,
  borderBottom: false,
  borderColor: 'gray',
  paddingLeft: 1,
} as const;

function Block({ block }: { block: MarkdownBlock }): ReactNode {
  switch (block.type) {
    case 'heading':
      return <Inline spans={block.spans} heading={block.depth} />;
    case 'paragraph':
      return <Inline spans={block.spans} />;
    case 'code':
      return (
        <Box flexDirection="column" {...BAR}>
          {block.language === '' ? null : <Text dimColor>{block.language}</Text>}
          {block.text.split('\n').map((line, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of code have no identity but their place
            <Text key={index}>{line === '' ? ' ' : line}</Text>
          ))}
        </Box>
      );
    case 'list': {
      // Numbers line up (`9.` and `10.`); a bullet list's tasks keep their own width.
      const widest = Math.max(...block.items.map((item) => item.marker.length)) + 1;
      const width = (item: ListItem) => (/^\d/.test(item.marker) ? widest : item.marker.length + 1);
      return (
        <Box flexDirection="column" rowGap={block.tight ? 0 : 1}>
          {block.items.map((item, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: list items have no identity but their place
            <Box key={index} flexDirection="row">
              <Box width={width(item)} flexShrink={0}>
                <Text color="cyan">{item.marker}</Text>
              </Box>
              <Box flexDirection="column" flexGrow={1} flexShrink={1}>
                <Blocks blocks={item.blocks} gap={block.tight ? 0 : 1} />
              </Box>
            </Box>
          ))}
        </Box>
      );
    }
    case 'quote':
      return (
        <Box flexDirection="column" {...BAR}>
          <Blocks blocks={block.blocks} />
        </Box>
      );
    case 'rule':
      return <Text dimColor>{'─'.repeat(24)}</Text>;
    case 'table':
      return <Table header={block.header} rows={block.rows} />;
  }
}

function plain(spans: readonly Span[]): string {
  return spans.map((span) => span.text).join('');
}

function Table({ header, rows }: { header: Span[][]; rows: Span[][][] }) {
  const widths = header.map((cell, column) =>
    Math.max(plain(cell).length, ...rows.map((row) => plain(row[column] ?? []).length)),
  );
  const line = (cells: Span[][], bold: boolean, key: string) => (
    <Text key={key} bold={bold}>
      {cells.map((cell, column) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: table cells have no identity but their place
        <Text key={column}>
          {column === 0 ? '' : ' │ '}
          <Inline spans={cell} />
          {' '.repeat(Math.max(0, (widths[column] ?? 0) - plain(cell).length))}
        </Text>
      ))}
    </Text>
  );
  return (
    <Box flexDirection="column">
      {line(header, true, 'header')}
      <Text dimColor>{widths.map((width) => '─'.repeat(width)).join('─┼─')}</Text>
      {rows.map((row, index) => line(row, false, String(index)))}
    </Box>
  );
}

function Blocks({ blocks: list, gap = 1 }: { blocks: readonly MarkdownBlock[]; gap?: number }) {
  return (
    <Box flexDirection="column" rowGap={gap}>
      {list.map((block, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: blocks have no identity but their place
        <Block key={index} block={block} />
      ))}
    </Box>
  );
}

/**
 * Markdown drawn with ink: headings bold, emphasis, inline code in colour, code blocks kept
 * verbatim behind a bar with their language, lists with bullets or numbers, links as text and
 * address, quotes behind a bar. Long lines wrap to the terminal's width.
 */
export function Markdown({ text, streaming = false }: { text: string; streaming?: boolean }) {
  return <Blocks blocks={markdownBlocks(text, { streaming })} />;
}
