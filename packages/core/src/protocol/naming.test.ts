import { describe, expect, it } from 'vitest';
import { CHAT_STATUSES } from './chat-status.js';
import { CHAT_ERROR_KINDS } from './error-info.js';
import { chatMessagePartSchema, chatMessagePartTypes } from './message-part.js';
import { CHAT_MESSAGE_ROLES } from './message-role.js';
import { chatStreamEventTypes } from './stream-event.js';
import { chatStreamPartTypes } from './stream-part.js';

const KEBAB_CASE = /^[a-z]+(-[a-z]+)*$/;

const sourceTypes = chatMessagePartSchema.options.flatMap((option) =>
  'options' in option ? option.options.map((member) => member.shape.sourceType.value) : [],
);

/** Every string literal of the protocol, by where it appears. */
const vocabularies: Record<string, readonly string[]> = {
  'message roles': CHAT_MESSAGE_ROLES,
  'message part types': chatMessagePartTypes,
  'source types': sourceTypes,
  'stream part types': chatStreamPartTypes,
  'stream event types': chatStreamEventTypes,
  statuses: CHAT_STATUSES,
  'error kinds': CHAT_ERROR_KINDS,
};

describe('protocol vocabulary', () => {
  it.each(Object.entries(vocabularies))('spells all %s in kebab-case', (_, literals) => {
    expect(literals.filter((literal) => !KEBAB_CASE.test(literal))).toEqual([]);
    expect(literals.length).toBeGreaterThan(0);
  });

  it.each(Object.entries(vocabularies))('has no duplicate %s', (_, literals) => {
    expect(literals.filter((literal, index) => literals.indexOf(literal) !== index)).toEqual([]);
  });

  it('reads the part types off the schema in order, a nested union once', () => {
    expect(chatMessagePartTypes).toEqual([
      'text',
      'reasoning',
      'tool-call',
      'tool-result',
      'file',
      'source',
      'step-start',
    ]);
    expect(sourceTypes).toEqual(['url', 'document']);
  });
});
