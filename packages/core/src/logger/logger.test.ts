import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';

describe('silentLogger', () => {
  it('accepts every call shape and its children are silent too', () => {
    const child = silentLogger.child({ component: 'test' });
    expect(child).toBe(silentLogger);
    expect(() => {
      child.debug('message');
      child.info({ chatId: 'c1' }, 'message');
      child.warn({ dropped: 1 });
      child.error({ err: new Error('x') }, 'failed');
    }).not.toThrow();
  });
});
