/**
 * Test helpers for apps built on chatd. {@link FakeOpenAI} is a local OpenAI-compatible
 * chat-completions server with scripted replies, so a test can run the real provider path of
 * the AI SDK (HTTP, streaming, tool calls, rate limits and errors) with no network and no key.
 *
 * @packageDocumentation
 */
export {
  FAKE_TITLE,
  FakeOpenAI,
  type FakeOpenAIOptions,
  type FakeReply,
  type FakeRequest,
} from './fake-openai.js';
