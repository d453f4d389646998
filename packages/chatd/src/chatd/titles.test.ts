import { describe, expect, it } from 'vitest';
import { cleanTitle, fallbackTitle } from './titles.js';

describe('fallbackTitle', () => {
  it('takes the first six words of the text', () => {
    expect(
      fallbackTitle([{ type: 'text', text: '  Plan a  trip to Oslo in late May please ' }]),
    ).toBe('Plan a trip to Oslo in');
  });

  it('cuts at 80 characters with an ellipsis', () => {
    const title = fallbackTitle([{ type: 'text', text: `${'x'.repeat(100)} y` }]);
    expect(Array.from(title)).toHaveLength(80);
    expect(title.endsWith('…')).toBe(true);
  });

  it('is "New Chat" without text', () => {
    expect(fallbackTitle([])).toBe('New Chat');
    expect(fallbackTitle([{ type: 'text', text: '   ' }])).toBe('New Chat');
  });

  it('leaves out what Postgres cannot store, so only the message itself can be refused', () => {
    expect(fallbackTitle([{ type: 'text', text: 'Hi\u0000 there \ud800x' }])).toBe(
      'Hi there \uFFFDx',
    );
    expect(fallbackTitle([{ type: 'text', text: '\u0000' }])).toBe('New Chat');
  });
});

describe('cleanTitle', () => {
  it('keeps the first line, without quotes, a "Title:" prefix or a final period', () => {
    expect(cleanTitle('\n"Title: Trip to Oslo."\nmore')).toBe('Trip to Oslo');
  });

  it('is undefined for empty output', () => {
    expect(cleanTitle('  \n ')).toBeUndefined();
  });

  it('leaves out what Postgres cannot store', () => {
    expect(cleanTitle('Trip\u0000 to \udc00Oslo')).toBe('Trip to \uFFFDOslo');
  });
});
