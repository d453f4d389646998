import { describe, expect, it } from 'vitest';
import { isChatUpdate } from './chat-update.js';

const payload = {
  chatId: '0b8f4b5e-5f7c-4c49-9d1c-0d2f6f7e8a90',
  snapshotVersion: 3,
  workerId: null,
  runnerId: null,
  historyVersion: 2,
  queueVersion: 1,
  retryStateVersion: 0,
  generationAttempt: 1,
  status: 'running',
  archived: false,
};

describe('isChatUpdate', () => {
  it('accepts a chat:update payload', () => {
    expect(isChatUpdate(payload)).toBe(true);
  });

  it.each([
    ['null', null],
    ['a string', 'update'],
    ['no chatId', { ...payload, chatId: undefined }],
    ['a string version', { ...payload, queueVersion: '1' }],
    ['no generationAttempt', { ...payload, generationAttempt: undefined }],
    ['a numeric status', { ...payload, status: 1 }],
    ['archived as a string', { ...payload, archived: 'false' }],
  ])('refuses %s', (_name, value) => {
    expect(isChatUpdate(value)).toBe(false);
  });
});
