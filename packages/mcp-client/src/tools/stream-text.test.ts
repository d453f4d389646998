import type { LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { stepCountIs, streamText } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAll } from '../connect/pool.js';
import type { McpToolSet } from '../connect/tool-set.js';
import { type McpTestServer, startMcpTestServer } from '../test-support/mcp-test-server.js';
import { PNG_BASE64, registerSampleTools } from '../test-support/sample-tools.js';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** A model that calls `toolName` with `input` (raw JSON text), then answers "done". */
function toolCallingModel(toolName: string, input: string) {
  const prompts: LanguageModelV3Prompt[] = [];
  const model = new MockLanguageModelV3({
    doStream: async ({ prompt }) => {
      prompts.push(prompt);
      const parts: LanguageModelV3StreamPart[] =
        prompts.length === 1
          ? [
              { type: 'stream-start', warnings: [] },
              { type: 'tool-call', toolCallId: 'call-1', toolName, input },
              { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage },
            ]
          : [
              { type: 'stream-start', warnings: [] },
              { type: 'text-start', id: 't' },
              { type: 'text-delta', id: 't', delta: 'done' },
              { type: 'text-end', id: 't' },
              { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
            ];
      return { stream: convertArrayToReadableStream(parts) };
    },
  });
  return { model, prompts };
}

/** The tool result the model received in its second call. */
async function toolOutputSeenByModel(set: McpToolSet, toolName: string, input: string) {
  const { model, prompts } = toolCallingModel(toolName, input);
  const result = streamText({ model, tools: set.tools, prompt: 'go', stopWhen: stepCountIs(3) });
  await result.consumeStream();
  expect(await result.text).toBe('done');
  const toolMessage = prompts[1]?.find((message) => message.role === 'tool');
  const part = toolMessage?.content.find((item) => item.type === 'tool-result');
  return part?.type === 'tool-result' ? part.output : undefined;
}

let server: McpTestServer;
let set: McpToolSet;

beforeAll(async () => {
  server = await startMcpTestServer({ setup: (mcp) => registerSampleTools(mcp) });
  set = await connectAll([{ id: 'cfg', slug: 'srv', url: server.url }]);
});
afterAll(async () => {
  await set.close();
  await server.close();
});

describe('MCP tools inside streamText', () => {
  it('runs a tool call and feeds the text result back to the model', async () => {
    expect(await toolOutputSeenByModel(set, 'srv__echo', '{"message":"hi"}')).toEqual({
      type: 'text',
      value: 'echo: hi',
    });
  });

  it('gives input that fails the tool schema back to the model as a tool error', async () => {
    const output = await toolOutputSeenByModel(set, 'srv__echo', '{"message":42}');
    expect(output?.type).toBe('error-text');
    expect(JSON.stringify(output)).toContain('Invalid input');
  });

  it('gives invalid JSON input back to the model as a tool error', async () => {
    const output = await toolOutputSeenByModel(set, 'srv__echo', '{not json');
    expect(output?.type).toBe('error-text');
    expect(JSON.stringify(output)).toMatch(/JSON/);
  });

  it('gives an isError result to the model as error text', async () => {
    expect(await toolOutputSeenByModel(set, 'srv__fail', '{}')).toEqual({
      type: 'error-text',
      value: 'something broke',
    });
  });

  it('gives images to the model as image content, never as base64 text', async () => {
    expect(await toolOutputSeenByModel(set, 'srv__image', '{}')).toEqual({
      type: 'content',
      value: [{ type: 'image-data', data: PNG_BASE64, mediaType: 'image/png' }],
    });
  });
});
