// @ts-check
/*
 * The benchmarks' baseline: the AI SDK's own way to serve `useChat`, on Fastify 5 with nothing
 * else (no auth, no persistence, no request log). `POST /api/chat` converts the UI messages,
 * calls `streamText` on the same OpenAI-compatible model chatd uses (FAKE_MODEL_URL), and pipes
 * the UI message stream into the hijacked raw response.
 *
 * Plain JavaScript so it runs under `node` with no loader, like chatd's built server: tsx's
 * loader would add a thread and memory to the baseline's RSS and CPU. Prints `listening <port>`
 * on stdout once it accepts connections.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { convertToModelMessages, streamText } from 'ai';
import Fastify from 'fastify';

const baseURL = process.env.FAKE_MODEL_URL;
if (baseURL === undefined) throw new Error('FAKE_MODEL_URL is required');
const model = createOpenAICompatible({ name: 'compatible', baseURL }).chatModel('bench');

const app = Fastify();

app.post('/api/chat', async (request, reply) => {
  const { messages } = /** @type {{ messages: import('ai').UIMessage[] }} */ (request.body);
  const result = streamText({ model, messages: await convertToModelMessages(messages) });
  reply.hijack();
  await result.pipeUIMessageStreamToResponse(reply.raw);
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no port');
process.stdout.write(`listening ${address.port}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
