import { type Chat, type ChatdClient, ChatView, type PreviewPart } from '@chatd/client';
import type { ChatMessage, ChatMessagePart, PendingToolCall } from '@chatd/core';
import { Box, type DOMElement, render, Static, Text, useApp, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ClientTool, chatOptions } from './client-tools.js';
import { INTERRUPTING } from './commands.js';
import { describeError, isUnreachable } from './errors.js';
import { type HistoryItem, transcriptItems, updateHistory } from './history.js';
import { type KeyAction, KeyReader } from './keys.js';
import {
  aroundCursor,
  deleteBefore,
  EMPTY_LINE,
  insert,
  type Line,
  lineOf,
  move,
  SentHistory,
} from './line-editor.js';
import { Markdown } from './markdown.js';
import { fullValue, oneLine, questionOf, retryText, roleLabel, toolCallText } from './render.js';
import { safeLine, safeText } from './terminal-text.js';

/** How the interactive chat starts. */
export interface InteractiveChatOptions {
  /** The chat to open (already fetched), or none for a new one. */
  chat?: Chat | undefined;
  /** For a new chat: its model configuration. */
  model?: string | undefined;
  /** For a new chat: the client tools it declares. */
  clientTools?: readonly ClientTool[];
}

interface Props extends InteractiveChatOptions {
  client: ChatdClient;
  url: string;
}

/** Committed messages printed when a chat opens (and again after a resize). */
const HISTORY_SHOWN = 50;
/** Queued messages listed one per line; more are counted. */
const QUEUE_SHOWN = 3;
/** A resize redraws once the terminal has stopped changing size for this long. */
const RESIZE_SETTLE_MS = 120;
/** Erase the screen and the scrollback, cursor home. */
const CLEAR_TERMINAL = '\u001b[2J\u001b[3J\u001b[H';
/** Bracketed paste on and off: the terminal marks what is pasted (see {@link KeyReader}). */
const BRACKETED_PASTE_ON = '\u001b[?2004h';
const BRACKETED_PASTE_OFF = '\u001b[?2004l';
/** A second Ctrl-C within this long of the first exits. */
const CTRL_C_WINDOW_MS = 2000;
const PRESS_CTRL_C_AGAIN = 'press Ctrl-C again within 2 s to exit';

/** The keys, in one line of 80 columns. */
const HELP = 'Enter sends · !text interrupts · Esc stops · Ctrl-O shows tools · Ctrl-D exits';

function ToolCallLine({
  toolName,
  input,
  expanded,
}: {
  toolName: string;
  input: unknown;
  expanded: boolean;
}) {
  if (!expanded || input === undefined || typeof input === 'string')
    return (
      <Text dimColor wrap="truncate-end">
        {`→ ${toolCallText(toolName, input, 10_000)}`}
      </Text>
    );
  return (
    <Box flexDirection="column">
      <Text dimColor>{`→ ${safeLine(toolName)}`}</Text>
      <Box paddingLeft={2}>
        <Text dimColor>{fullValue(input)}</Text>
      </Box>
    </Box>
  );
}

function ToolResultLine({
  label,
  output,
  error,
  expanded,
}: {
  label: string;
  output: unknown;
  error: boolean;
  expanded: boolean;
}) {
  const mark = error ? '✗' : '←';
  if (!expanded)
    return (
      <Text dimColor={!error} {...(error ? { color: 'red' } : {})} wrap="truncate-end">
        {`${mark} ${safeLine(label)}${oneLine(output, 10_000)}`}
      </Text>
    );
  return (
    <Box flexDirection="column">
      <Text dimColor={!error} {...(error ? { color: 'red' } : {})}>
        {`${mark} ${safeLine(label)}`}
      </Text>
      <Box paddingLeft={2}>
        <Text>{fullValue(output)}</Text>
      </Box>
    </Box>
  );
}

function Reasoning({ text, expanded }: { text: string; expanded: boolean }) {
  return expanded ? (
    <Text dimColor italic>
      {safeText(text)}
    </Text>
  ) : (
    <Text dimColor italic wrap="truncate-end">
      {`(thinking) ${oneLine(text, 10_000)}`}
    </Text>
  );
}

/** One committed message; `continued` when it goes on the assistant's turn above it. */
function MessageView({
  message,
  expanded,
  continued,
}: {
  message: ChatMessage;
  expanded: boolean;
  continued: boolean;
}) {
  const parts = message.content.parts.map((stored, index) => {
    const key = String(index);
    // Parts of a type this version does not know fall through to `default`.
    const part = stored as ChatMessagePart;
    switch (part.type) {
      case 'text':
        return message.role === 'assistant' ? (
          <Markdown key={key} text={part.text} />
        ) : (
          <Text key={key}>{safeText(part.text)}</Text>
        );
      case 'reasoning':
        return <Reasoning key={key} text={part.text} expanded={expanded} />;
      case 'tool-call':
        return (
          <ToolCallLine key={key} toolName={part.toolName} input={part.input} expanded={expanded} />
        );
      case 'tool-result':
        return (
          <ToolResultLine
            key={key}
            label={`${part.toolName}: `}
            output={part.output}
            error={part.isError === true}
            expanded={expanded}
          />
        );
      case 'file':
        return (
          <Text key={key} dimColor>
            {safeLine(`[file ${part.mediaType}]`)}
          </Text>
        );
      case 'source':
        return (
          <Text key={key} dimColor>
            {safeLine(
              `[source ${'url' in part && part.url !== undefined ? part.url : part.sourceId}]`,
            )}
          </Text>
        );
      default:
        return null;
    }
  });
  return (
    <Box flexDirection="column" marginTop={continued ? 0 : 1}>
      {continued || message.role === 'tool' ? null : (
        <Text bold color={message.role === 'user' ? 'cyan' : 'green'}>
          {roleLabel(message.role)}
        </Text>
      )}
      {parts}
    </Box>
  );
}

const inTurn = (role: string | undefined) => role === 'assistant' || role === 'tool';

/** Whether a message of `role` carries on the assistant's turn that `previous` belongs to. */
function continues(previous: ChatMessage | undefined, role: string): boolean {
  return inTurn(previous?.role) && inTurn(role);
}

function PreviewView({
  parts,
  expanded,
  continued,
}: {
  parts: readonly PreviewPart[];
  expanded: boolean;
  continued: boolean;
}) {
  if (parts.length === 0) return null;
  return (
    <Box flexDirection="column" marginTop={continued ? 0 : 1}>
      {continued ? null : (
        <Text bold color="green">
          assistant
        </Text>
      )}
      {parts.map((part) =>
        part.type === 'tool' ? (
          <Box key={part.toolCallId} flexDirection="column">
            <ToolCallLine
              toolName={part.toolName}
              input={part.input ?? part.inputText}
              expanded={expanded}
            />
            {part.state === 'output-available' || part.state === 'output-error' ? (
              <Box paddingLeft={2}>
                <ToolResultLine
                  label=""
                  output={part.state === 'output-error' ? part.errorText : part.output}
                  error={part.state === 'output-error'}
                  expanded={expanded}
                />
              </Box>
            ) : null}
          </Box>
        ) : part.type === 'reasoning' ? (
          // While it streams, the reasoning shows in full (the live area keeps its tail).
          <Text key={`reasoning-${part.id}`} dimColor italic>
            {safeText(part.text)}
          </Text>
        ) : (
          <Markdown key={`text-${part.id}`} text={part.text} streaming={!part.done} />
        ),
      )}
    </Box>
  );
}

function PendingCalls({
  calls,
  answered,
}: {
  calls: readonly PendingToolCall[];
  answered: ReadonlyMap<string, string>;
}) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text color="yellow" bold>
        {calls.length === 1
          ? 'The model waits for your client tool:'
          : `The model waits for ${calls.length} client tool calls:`}
      </Text>
      {calls.map((call) => {
        const answer = answered.get(call.toolCallId);
        const question = questionOf(call.input);
        return (
          <Box key={call.toolCallId} flexDirection="column" paddingLeft={2}>
            <Text color="yellow">{toolCallText(call.toolName, call.input, 500)}</Text>
            {question === undefined ? null : <Text>{`  asks: ${safeText(question)}`}</Text>}
            {answer === undefined ? null : (
              <Text dimColor>{`  your answer: ${safeText(answer)}`}</Text>
            )}
          </Box>
        );
      })}
    </Box>
  );
}

function statusLine(
  view: ChatView,
  chatId: string | undefined,
  model: string | undefined,
  hasTools: boolean,
  expanded: boolean,
  now: number,
): string {
  if (chatId === undefined) return 'new chat: type a message and press Enter';
  const pieces: string[] = [view.status ?? '…'];
  if (model !== undefined) pieces.push(`model ${model}`);
  if (view.retry !== undefined) pieces.push(retryText(view.retry, now));
  if (view.queue.length > 0) pieces.push(`${view.queue.length} queued`);
  if (view.connection.state === 'reconnecting') pieces.push('reconnecting…');
  else if (view.connection.state === 'connecting') pieces.push('connecting…');
  if (hasTools) pieces.push(expanded ? 'Ctrl-O collapses tools' : 'Ctrl-O expands tools');
  return pieces.join(' · ');
}

/** The notice after a message was queued behind the running reply. */
const QUEUED = 'queued: it runs when the current reply is done';

function queuedText(content: { parts: ReadonlyArray<{ type: string; text?: string }> }): string {
  return content.parts
    .map((part) => (part.type === 'text' ? (part.text ?? '') : `[${part.type}]`))
    .join(' ');
}

/** What Enter sends: the text, and whether it interrupts. */
interface Submission {
  text: string;
  interrupt: boolean;
}

/** `!text` is an interrupt; a line with no text (a bare `!` too) sends nothing. */
function submissionOf(raw: string): Submission | undefined {
  const interrupt = raw.startsWith('!');
  const text = (interrupt ? raw.slice(1) : raw).trim();
  return text === '' ? undefined : { text, interrupt };
}

/**
 * The prompt's text as drawn: a pasted line break goes on under the prompt, indented, and a
 * tab is spaces (ink measures a tab as nothing, and the terminal would move the cursor).
 */
function promptText(text: string): string {
  return text.replaceAll('\t', '    ').replaceAll('\n', '\n  ');
}

/**
 * The live area must stay shorter than the terminal: ink redraws a frame as tall as the screen
 * by clearing the terminal and printing everything again, every frame. Yoga can cap a box's
 * height, but ink does not pass `maxHeight` on, so it is set on the box's layout node directly,
 * before each layout; the in-flight reply is the part that shrinks, showing its newest lines.
 */
function useMaxHeight(maxHeight: number) {
  const node = useRef<DOMElement | null>(null);
  node.current?.yogaNode?.setMaxHeight(maxHeight);
  return useCallback(
    (element: DOMElement | null) => {
      node.current = element;
      element?.yogaNode?.setMaxHeight(maxHeight);
    },
    [maxHeight],
  );
}

function ChatApp({ client, url, chat, model: newChatModel, clientTools = [] }: Props) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const view = useRef(new ChatView()).current;
  const [, setTick] = useState(0);
  const [chatId, setChatId] = useState(chat?.id);
  /** The chat lines go to, set as soon as it is created (before the next render). */
  const chatIdRef = useRef(chat?.id);
  /** Sends run one after another, in the order typed: one typed while the chat is created goes to it. */
  const sending = useRef<Promise<void>>(Promise.resolve());
  /** Sends typed and not done; after a failure the rest are not sent but given back. */
  const unsent = useRef({ count: 0, failed: false, restoredLength: 0 });
  const [chatModel, setChatModel] = useState(chat?.modelConfigId ?? newChatModel ?? undefined);
  const [line, setLine] = useState<Line>(EMPTY_LINE);
  const lineRef = useRef<Line>(EMPTY_LINE);
  const sentHistory = useRef(new SentHistory());
  const edit = (next: Line) => {
    lineRef.current = next;
    setLine(next);
  };
  const [notice, setNotice] = useState(
    clientTools.length === 0
      ? HELP
      : `client tool ${clientTools.map((tool) => tool.name).join(', ')} declared · ${HELP}`,
  );
  const [expanded, setExpanded] = useState(false);
  const [answers, setAnswers] = useState<ReadonlyMap<string, string>>(new Map());
  const [size, setSize] = useState({ columns: stdout.columns, rows: stdout.rows });
  /** The printed transcript; a new `epoch` prints it again from the top. */
  const [history, setHistory] = useState<{ epoch: number; items: HistoryItem[] }>({
    epoch: 0,
    items: [],
  });
  const printed = useRef<HistoryItem[]>([]);
  const keyReader = useRef(new KeyReader()).current;
  /** Set by a first Ctrl-C; while it runs, a second one exits. */
  const ctrlCWindow = useRef<NodeJS.Timeout | undefined>(undefined);
  /** The notice that the server could not be reached, which goes once the stream is back. */
  const unreachableNotice = useRef<string | undefined>(undefined);
  /**
   * The stream failed for good: the chat was deleted or the token refused, which reconnecting
   * cannot fix. Nothing more can be shown or sent, so the view ends with the error.
   */
  const [failure, setFailure] = useState<{ error: unknown }>();
  const liveRef = useMaxHeight(Math.max(4, size.rows - 1));

  const reprint = useCallback(
    (items: HistoryItem[]) => {
      stdout.write(CLEAR_TERMINAL);
      printed.current = items;
      setHistory((current) => ({ epoch: current.epoch + 1, items }));
    },
    [stdout],
  );

  useEffect(() => {
    if (chatId === undefined) return;
    const stop = new AbortController();
    let scheduled = false;
    // Events come in bursts (a whole history on connect): draw once per burst.
    const flush = () => {
      scheduled = false;
      // The history of a new stream is complete once its status arrives.
      if (view.status !== undefined) {
        const update = updateHistory(printed.current, view.messages, HISTORY_SHOWN);
        if (update.type === 'reprint') reprint(update.items);
        else if (update.items.length > 0) {
          printed.current = [...printed.current, ...update.items];
          const added = update.items;
          setHistory((current) => ({ epoch: current.epoch, items: [...current.items, ...added] }));
        }
      }
      setTick((tick) => tick + 1);
    };
    void (async () => {
      try {
        for await (const event of client.stream(chatId, { signal: stop.signal })) {
          view.apply(event);
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
        }
      } catch (error) {
        setFailure({ error });
      }
    })();
    // Redraw each second for the retry countdown.
    const timer = setInterval(() => setTick((tick) => tick + 1), 1000);
    return () => {
      stop.abort();
      clearInterval(timer);
    };
  }, [chatId, client, view, reprint]);

  // Lines that scrolled away cannot be redrawn, and a terminal rewraps them its own way when
  // its width changes: print the whole transcript again at the new width.
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    let columns = stdout.columns;
    const resized = () => {
      setSize({ columns: stdout.columns, rows: stdout.rows });
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (stdout.columns === columns) return;
        columns = stdout.columns;
        reprint(transcriptItems(view.messages, HISTORY_SHOWN));
      }, RESIZE_SETTLE_MS);
    };
    stdout.on('resize', resized);
    return () => {
      clearTimeout(timer);
      stdout.off('resize', resized);
    };
  }, [stdout, reprint, view]);

  // Drawn without its live area (the stale status and reply), the view ends; `chatd` prints
  // the error in one line and exits with code 1, as its other commands do.
  useEffect(() => {
    if (failure === undefined) return;
    const { error } = failure;
    exit(error instanceof Error ? error : new Error(String(error)));
  }, [failure, exit]);

  useEffect(() => () => clearTimeout(ctrlCWindow.current), []);

  // "queued" and "interrupting" describe work under way: once the chat is idle with nothing
  // queued, they would only mislead.
  const idle = view.status === 'waiting' && view.queue.length === 0;
  useEffect(() => {
    if (idle)
      setNotice((current) => (current === QUEUED || current === INTERRUPTING ? '' : current));
  }, [idle]);

  // The server is back: saying that it cannot be reached would only mislead.
  const connected = view.connection.state === 'open';
  useEffect(() => {
    if (connected) setNotice((current) => (current === unreachableNotice.current ? '' : current));
  }, [connected]);

  /** Shows why something failed, as the notice. */
  const showError = (error: unknown) => {
    const text = describeError(error, url);
    if (isUnreachable(error)) unreachableNotice.current = text;
    setNotice(text);
  };

  const pending = view.status === 'requires-action' ? view.pendingToolCalls : [];
  const asking = pending.find((call) => !answers.has(call.toolCallId));

  /** Puts text that was not sent back into the prompt, after any given back before it. */
  const giveBack = (raw: string) => {
    const current = lineRef.current.text;
    const at = Math.min(unsent.current.restoredLength, current.length);
    const before = current.slice(0, at);
    const after = current.slice(at);
    const restored = before === '' ? raw : `${before} ${raw}`;
    unsent.current.restoredLength = restored.length;
    const head = after === '' ? restored : `${restored} `;
    // The cursor stays in what the user was typing meanwhile.
    const { cursor } = lineRef.current;
    edit({
      text: head + after,
      cursor: cursor < at ? cursor : head.length + cursor - at,
    });
  };

  const send = async (raw: string, interrupt: boolean, text: string) => {
    if (unsent.current.failed) {
      giveBack(raw);
      return;
    }
    try {
      const current = chatIdRef.current;
      if (current === undefined) {
        const created = await client.chats.create({
          content: text,
          ...chatOptions({ model: newChatModel, clientTools }),
        });
        chatIdRef.current = created.id;
        setChatModel(created.modelConfigId ?? newChatModel);
        setChatId(created.id);
        setNotice(`chat ${created.id}`);
        return;
      }
      const result = await client.messages.send(current, {
        content: text,
        busy: interrupt ? 'interrupt' : 'queue',
      });
      // A busy chat queues an interrupt too (at the head) and stops the current reply.
      setNotice(!result.queued ? '' : interrupt ? INTERRUPTING : QUEUED);
    } catch (error) {
      // What was typed is kept: it is back in the prompt, to send again.
      unsent.current.failed = true;
      giveBack(raw);
      showError(error);
    }
  };

  const submit = (raw: string, { interrupt, text }: Submission) => {
    unsent.current.count += 1;
    sending.current = sending.current
      .then(() => send(raw, interrupt, text))
      .finally(() => {
        unsent.current.count -= 1;
        if (unsent.current.count === 0) {
          unsent.current.failed = false;
          unsent.current.restoredLength = 0;
        }
      });
  };

  const answer = async (call: PendingToolCall, text: string) => {
    const next = new Map(answers).set(call.toolCallId, text);
    setAnswers(next);
    if (chatId === undefined || pending.some((each) => !next.has(each.toolCallId))) return;
    try {
      await client.actions.submitToolResults(
        chatId,
        pending.map((each) => ({ toolCallId: each.toolCallId, output: next.get(each.toolCallId) })),
      );
      setNotice('answer sent');
    } catch (error) {
      showError(error);
    }
    setAnswers(new Map());
  };

  const act = (action: KeyAction) => {
    switch (action.type) {
      case 'exit':
        exit();
        return;
      case 'ctrl-c':
        if (ctrlCWindow.current !== undefined) {
          exit();
          return;
        }
        setNotice(PRESS_CTRL_C_AGAIN);
        // Once the window has passed, the notice would promise what a press no longer does.
        ctrlCWindow.current = setTimeout(() => {
          ctrlCWindow.current = undefined;
          setNotice((current) => (current === PRESS_CTRL_C_AGAIN ? '' : current));
        }, CTRL_C_WINDOW_MS);
        return;
      case 'escape':
        if (chatIdRef.current !== undefined) {
          client.actions.interrupt(chatIdRef.current).then(
            () => setNotice('interrupted'),
            (error: unknown) => {
              if ((error as { code?: unknown }).code === 'TRANSITION_NOT_ALLOWED')
                setNotice('nothing to interrupt');
              else showError(error);
            },
          );
        }
        return;
      case 'expand': {
        const next = !expanded;
        setExpanded(next);
        setNotice(next ? 'tool calls and results in full' : 'tool calls and results on one line');
        reprint(transcriptItems(view.messages, HISTORY_SHOWN));
        return;
      }
      case 'enter': {
        const { text } = lineRef.current;
        edit(EMPTY_LINE);
        if (asking !== undefined) {
          if (text.trim() !== '') void answer(asking, text.trim());
          return;
        }
        const submission = submissionOf(text);
        // Nothing is sent (an empty line, a bare `!`): nothing to recall either.
        if (submission === undefined) return;
        sentHistory.current.add(text);
        submit(text, submission);
        return;
      }
      case 'backspace':
        edit(deleteBefore(lineRef.current));
        return;
      case 'move':
        edit(move(lineRef.current, action.to));
        return;
      case 'history': {
        const recalled =
          action.to === 'previous'
            ? sentHistory.current.previous(lineRef.current.text)
            : sentHistory.current.next();
        if (recalled !== undefined) edit(lineOf(recalled));
        return;
      }
      case 'text':
        edit(insert(lineRef.current, action.text));
        return;
    }
  };

  useInput((character, key) => {
    for (const action of keyReader.read(character, key)) {
      act(action);
      if (action.type === 'exit') return;
    }
  });

  const messages = view.messages;
  const lastAssistant = messages.findLast((message) => message.role === 'assistant');
  const model = lastAssistant?.modelConfigId ?? chatModel;
  const hasTools =
    view.preview.some((part) => part.type === 'tool') ||
    history.items.some(
      (item) =>
        item.type === 'message' &&
        item.message.content.parts.some(
          (part) => part.type === 'tool-call' || part.type === 'tool-result',
        ),
    );
  const shownItems = history.items;
  const [before, atCursor, after] = aroundCursor(line);
  const prompt =
    asking === undefined
      ? '> '
      : `answer ${safeLine(asking.toolName)}${pending.length > 1 ? ` (${answers.size + 1}/${pending.length})` : ''} > `;

  return (
    <Box flexDirection="column">
      <Static key={history.epoch} items={shownItems}>
        {(item, index) => {
          if (item.type === 'note')
            return (
              <Text key={item.key} dimColor>
                {item.text}
              </Text>
            );
          const previous = shownItems[index - 1];
          return (
            <MessageView
              key={item.key}
              message={item.message}
              expanded={expanded}
              continued={continues(
                previous?.type === 'message' ? previous.message : undefined,
                item.message.role,
              )}
            />
          );
        }}
      </Static>
      {failure !== undefined ? null : (
        <Box ref={liveRef} flexDirection="column">
          <Box flexDirection="column" flexShrink={1} overflowY="hidden" justifyContent="flex-end">
            <Box flexDirection="column" flexShrink={0}>
              <PreviewView
                parts={view.preview}
                expanded={expanded}
                continued={continues(messages.at(-1), 'assistant')}
              />
            </Box>
          </Box>
          <Box flexDirection="column" flexShrink={0}>
            {pending.length > 0 ? <PendingCalls calls={pending} answered={answers} /> : null}
            {view.warnings.map((warning) => (
              <Text key={warning.message} color="yellow" wrap="truncate-end">
                {`warning: ${safeLine(warning.message)}`}
              </Text>
            ))}
            {view.status === 'error' && view.error !== undefined ? (
              <Text color="red">{`error: ${safeLine(view.error.message)}`}</Text>
            ) : null}
            {view.queue.length > 0 ? (
              <Box flexDirection="column" marginTop={1}>
                {view.queue.slice(0, QUEUE_SHOWN).map((queued) => (
                  <Text key={queued.id} dimColor wrap="truncate-end">
                    {`queued: ${safeLine(queuedText(queued.content))}`}
                  </Text>
                ))}
                {view.queue.length > QUEUE_SHOWN ? (
                  <Text dimColor>{`…and ${view.queue.length - QUEUE_SHOWN} more queued`}</Text>
                ) : null}
              </Box>
            ) : null}
            <Box marginTop={1}>
              <Text dimColor>
                {`── ${safeLine(statusLine(view, chatId, model, hasTools, expanded, Date.now()))}`}
              </Text>
            </Box>
            {notice === '' ? null : <Text dimColor>{safeLine(notice)}</Text>}
            <Text>
              <Text color={asking === undefined ? 'cyan' : 'yellow'}>{prompt}</Text>
              {promptText(before)}
              {/* The cursor on a line break: a block at the end of the line, then the break. */}
              <Text inverse>
                {atCursor === '' || atCursor === '\n' ? ' ' : promptText(atCursor)}
              </Text>
              {atCursor === '\n' ? promptText(atCursor) : null}
              {promptText(after)}
            </Text>
          </Box>
        </Box>
      )}
    </Box>
  );
}

/**
 * The interactive chat (a TTY): resolves when the user exits; rejects with the error when the
 * chat cannot go on (deleted, the token refused).
 */
export async function runInteractiveChat(
  client: ChatdClient,
  url: string,
  options: InteractiveChatOptions = {},
) {
  // ink turns raw mode on in an effect that runs after the first frame is drawn: a key pressed
  // in between went through the terminal's line discipline, which swallows Ctrl-D and Escape.
  // On from the start, every key pressed once the prompt shows reaches the app.
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  // A terminal without bracketed paste ignores this, and each pasted line is sent as typed.
  process.stdout.write(BRACKETED_PASTE_ON);
  try {
    const app = render(<ChatApp client={client} url={url} {...options} />, {
      exitOnCtrlC: false,
    });
    await app.waitUntilExit();
  } finally {
    process.stdout.write(BRACKETED_PASTE_OFF);
  }
}
