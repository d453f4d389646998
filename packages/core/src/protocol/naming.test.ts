import { describe, expect, it } from 'vitest';
import {
  CHAT_ERROR_KINDS,
  CHAT_MESSAGE_PART_TYPES,
  CHAT_MESSAGE_ROLES,
  CHAT_STATUSES,
  CHAT_STREAM_EVENT_TYPES,
  CHAT_STREAM_PART_TYPES,
  chatMessagePartSchema,
  chatStreamEventSchema,
  chatStreamPartSchema,
  sourcePartSchema,
} from './index.js';

const KEBAB_CASE = /^[a-z]+(-[a-z]+)*$/;

/** Every string literal of the protocol, by where it appears. */
const vocabularies: Record<string, readonly string[]> = {
  'message roles': CHAT_MESSAGE_ROLES,
  'message part types': CHAT_MESSAGE_PART_TYPES,
  'source types': sourcePartSchema.options.map((option) => option.shape.sourceType.value),
  'stream part types': CHAT_STREAM_PART_TYPES,
  'stream event types': CHAT_STREAM_EVENT_TYPES,
  statuses: CHAT_STATUSES,
  'error kinds': CHAT_ERROR_KINDS,
};

describe('protocol vocabulary', () => {
  it.each(Object.entries(vocabularies))('spells all %s in kebab-case', (_, literals) => {
    expect(literals.filter((literal) => !KEBAB_CASE.test(literal))).toEqual([]);
    expect(literals.length).toBeGreaterThan(0);
  });

  it('has no duplicates within a vocabulary', () => {
    for (const literals of Object.values(vocabularies)) {
      expect(new Set(literals).size).toBe(literals.length);
    }
  });

  it('lists the message part types in the same order as the schema', () => {
    const schemaTypes = chatMessagePartSchema.options.flatMap((option) =>
      'options' in option
        ? [...new Set(option.options.map((member) => member.shape.type.value))]
        : [option.shape.type.value],
    );
    expect(schemaTypes).toEqual([...CHAT_MESSAGE_PART_TYPES]);
  });

  it('takes every discriminator literal from the exported constants', () => {
    // Guards against a schema member whose literal is missing from the constant lists the
    // tolerant readers use to tell "unknown" from "malformed".
    const streamTypes = chatStreamPartSchema.options.map((option) => option.shape.type.value);
    const eventTypes = chatStreamEventSchema.options.map((option) => option.shape.type.value);
    expect(streamTypes.every((type) => KEBAB_CASE.test(type))).toBe(true);
    expect(new Set(streamTypes)).toEqual(new Set(CHAT_STREAM_PART_TYPES));
    expect(new Set(eventTypes)).toEqual(new Set(CHAT_STREAM_EVENT_TYPES));
  });
});
