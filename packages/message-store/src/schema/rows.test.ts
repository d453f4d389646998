import { describe, expectTypeOf, it } from 'vitest';
import type { ChatHeartbeatRow, ChatMessageRow, ChatQueuedMessageRow, ChatRow } from './rows.js';
import type { chatHeartbeats, chatMessages, chatQueuedMessages, chats } from './tables.js';

// Type-level: tsc fails if a documented row interface drifts from its table.
describe('row interfaces', () => {
  it('equal the tables’ select types', () => {
    expectTypeOf<ChatRow>().toEqualTypeOf<typeof chats.$inferSelect>();
    expectTypeOf<ChatMessageRow>().toEqualTypeOf<typeof chatMessages.$inferSelect>();
    expectTypeOf<ChatQueuedMessageRow>().toEqualTypeOf<typeof chatQueuedMessages.$inferSelect>();
    expectTypeOf<ChatHeartbeatRow>().toEqualTypeOf<typeof chatHeartbeats.$inferSelect>();
  });
});
