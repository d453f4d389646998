import { FakeOpenAI } from '@chatd/chatd/testing';
import { startTestServer, type TestServer } from './test-server.js';

/** The reply a held turn streams: its first piece, then the rest once released. Test-only. */
export const HELD_REPLY = [
  'Once upon a time,',
  ' a reply waited for its reader. The end.',
] as const;

/** A test server on a provider whose replies the test holds mid-stream. Test-only. */
export interface HeldReplyServer extends TestServer {
  /** The provider: every request it received. */
  readonly provider: FakeOpenAI;
  /**
   * Scripts the next turn's reply, `HELD_REPLY`: its first piece streams at once, the rest once
   * the returned function is called.
   */
  holdReply(): () => void;
}

/**
 * Starts a test server (see `startTestServer`) whose default model is a local OpenAI-compatible
 * provider answering with scripted, held replies, so a test of "while a reply streams" (a
 * reload, an interrupt, an open stream) waits on nothing but its own steps, however busy the
 * machine. Chats get no title call: one provider request per turn. Test-only.
 */
export async function startHeldReplyServer(
  env: Record<string, string> = {},
): Promise<HeldReplyServer> {
  const provider = await FakeOpenAI.start();
  try {
    const started = await startTestServer({
      OPENAI_COMPATIBLE_BASE_URL: provider.baseURL,
      OPENAI_COMPATIBLE_API_KEY: 'test-key',
      OPENAI_COMPATIBLE_MODELS: 'held-1',
      CHATD_TITLE_MODEL: 'off',
      ...env,
    });
    return {
      ...started,
      provider,
      holdReply: () => provider.hold(HELD_REPLY),
      async close() {
        await started.close();
        await provider.close();
      },
    };
  } catch (error) {
    await provider.close();
    throw error;
  }
}
