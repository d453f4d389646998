import { renderToString } from 'ink';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { closeOpenMarkers, Markdown, markdownBlocks } from './markdown.js';

/** What a terminal of `columns` shows (no colours: vitest's stdout is not a terminal). */
function show(text: string, { columns = 80, streaming = false } = {}): string {
  return renderToString(createElement(Markdown, { text, streaming }), { columns });
}

describe('markdownBlocks', () => {
  it('turns headings, emphasis, code, links and quotes into styled blocks', () => {
    const blocks = markdownBlocks(
      '# Title\n\nSome **bold**, *italic*, ~~gone~~, `code` and [docs](https://x.dev/docs).\n\n> quoted',
    );
    expect(blocks).toEqual([
      { type: 'heading', depth: 1, spans: [{ text: 'Title', style: {} }] },
      {
        type: 'paragraph',
        spans: [
          { text: 'Some ', style: {} },
          { text: 'bold', style: { bold: true } },
          { text: ', ', style: {} },
          { text: 'italic', style: { italic: true } },
          { text: ', ', style: {} },
          { text: 'gone', style: { strikethrough: true } },
          { text: ', ', style: {} },
          { text: 'code', style: { code: true } },
          { text: ' and ', style: {} },
          { text: 'docs', style: { link: true } },
          { text: ' (https://x.dev/docs)', style: { dim: true } },
          { text: '.', style: {} },
        ],
      },
      { type: 'quote', blocks: [{ type: 'paragraph', spans: [{ text: 'quoted', style: {} }] }] },
    ]);
  });

  it('keeps nested emphasis, shows an autolink once, and decodes character references', () => {
    const [paragraph] = markdownBlocks('***both*** https://a.b &amp; &lt;tag&gt;');
    expect(paragraph).toEqual({
      type: 'paragraph',
      spans: [
        { text: 'both', style: { italic: true, bold: true } },
        { text: ' ', style: {} },
        { text: 'https://a.b', style: { link: true } },
        { text: ' & <tag>', style: {} },
      ],
    });
  });

  it('numbers ordered lists from their start, marks tasks, and nests lists', () => {
    const [list] = markdownBlocks('3. three\n4. four\n   - [x] done\n   - [ ] open');
    expect(list).toMatchObject({
      type: 'list',
      tight: true,
      items: [
        { marker: '3.', blocks: [{ type: 'paragraph' }] },
        {
          marker: '4.',
          blocks: [
            { type: 'paragraph' },
            { type: 'list', items: [{ marker: '• [x]' }, { marker: '• [ ]' }] },
          ],
        },
      ],
    });
  });

  it('keeps code verbatim with its language, tabs expanded to the next stop', () => {
    const [code] = markdownBlocks('```ts title="a.ts"\nif (a) {\n\treturn  *b*;\n}\n```');
    expect(code).toEqual({
      type: 'code',
      language: 'ts',
      text: 'if (a) {\n    return  *b*;\n}',
    });
  });
});

describe('Markdown in a terminal', () => {
  it('draws every kind of block readably at 80 columns', () => {
    const text = [
      '## Setup',
      '',
      'Run `npm test` first, see [the guide](https://example.com/guide).',
      '',
      '- one',
      '- two',
      '',
      '1. first',
      '2. second',
      '',
      '> a quote',
      '',
      '```sh',
      'npm install',
      '  --save-exact',
      '```',
      '',
      '---',
      '',
      '| name | value |',
      '|---|---|',
      '| a | 1 |',
    ].join('\n');
    expect(show(text)).toBe(
      [
        'Setup',
        '',
        'Run npm test first, see the guide (https://example.com/guide).',
        '',
        '• one',
        '• two',
        '',
        '1. first',
        '2. second',
        '',
        '│ a quote',
        '',
        '│ sh',
        '│ npm install',
        '│   --save-exact',
        '',
        '────────────────────────',
        '',
        'name │ value',
        '─────┼──────',
        'a    │ 1',
      ].join('\n'),
    );
  });

  it('wraps long lines to the width, under their bullet or bar, with no stray space', () => {
    const long = 'word '.repeat(20).trim();
    const lines = show(`- ${long}\n\n> ${long}`, { columns: 30 }).split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(30);
    expect(lines.slice(0, 4)).toEqual([
      '• word word word word word',
      '  word word word word word',
      '  word word word word word',
      '  word word word word word',
    ]);
    expect(lines.slice(5, 7)).toEqual(['│ word word word word word', '│ word word word word word']);
  });

  it('shows an unclosed fence as code while it streams, and the same once it is closed', () => {
    const partial = 'Here:\n\n```js\nconst a = 1;\nconst b';
    expect(show(partial, { streaming: true })).toBe('Here:\n\n│ js\n│ const a = 1;\n│ const b');
    expect(show(`${partial} = 2;\n\`\`\`\n\nDone.`)).toBe(
      'Here:\n\n│ js\n│ const a = 1;\n│ const b = 2;\n\nDone.',
    );
  });

  it('shows the control characters of a reply instead of sending them to the terminal', () => {
    const shown = show(
      [
        'Title \u001b]0;PWNED\u0007 and \u001b[31mred\u001b[0m',
        '',
        '- `code \u001b[2J` and [link \u009b1m](https://example.com/\u001b)',
        '',
        '```',
        '\u001b]52;c;aGk=\u0007',
        '```',
      ].join('\n'),
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: none may reach the terminal
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(shown).toContain('Title ␛]0;PWNED␇ and ␛[31mred␛[0m');
    expect(shown).toContain('code ␛[2J');
    expect(shown).toContain('│ ␛]52;c;aGk=␇');
  });

  it('never shows the markers of half-written emphasis while streaming', () => {
    expect(show('Some **bol', { streaming: true })).toBe('Some bol');
    expect(show('Some **bold**', { streaming: true })).toBe('Some bold');
    expect(show('Use `npm t', { streaming: true })).toBe('Use npm t');
  });
});

describe('closeOpenMarkers', () => {
  it('closes open bold, strikethrough and code, innermost first', () => {
    expect(closeOpenMarkers('a **b ~~c')).toBe('a **b ~~c~~**');
    expect(closeOpenMarkers('a **b `c')).toBe('a **b `c`**');
    expect(closeOpenMarkers('a ``b ` c')).toBe('a ``b ` c``');
  });

  it('drops a marker that nothing follows yet, and closes before trailing spaces', () => {
    expect(closeOpenMarkers('a **')).toBe('a');
    expect(closeOpenMarkers('a **b ')).toBe('a **b**');
  });

  it('leaves closed markers, escaped ones, code spans and earlier paragraphs alone', () => {
    expect(closeOpenMarkers('a **b** c')).toBe('a **b** c');
    expect(closeOpenMarkers('a \\*\\* b')).toBe('a \\*\\* b');
    expect(closeOpenMarkers('a `**` b')).toBe('a `**` b');
    expect(closeOpenMarkers('x ** y\n\nnext')).toBe('x ** y\n\nnext');
  });

  it('waits for the next character of a last line that is only a marker so far', () => {
    expect(closeOpenMarkers('Title\n-')).toBe('Title');
    expect(closeOpenMarkers('text\n\n1.')).toBe('text\n');
    expect(closeOpenMarkers('text\n``')).toBe('text');
  });

  it('leaves text inside an open code fence as it is', () => {
    expect(closeOpenMarkers('```\n**not bold')).toBe('```\n**not bold');
    expect(closeOpenMarkers('```\ncode\n```\n**bold')).toBe('```\ncode\n```\n**bold**');
  });
});
