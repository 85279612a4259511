/**
 * Raw protocol input, screened before the SDK parses it (both transports call `screenMessage`).
 * The SDK answers some odd shapes with a schema-validation dump and others not at all: a malformed
 * `_meta` or progress token is dropped without a reply, and non-object tool arguments are refused
 * before our handler runs, so the call is never audited. Here each gets one clear answer instead.
 */
import { PassThrough, type Readable } from 'node:stream';
import { MAX_MESSAGE_BYTES } from './defaults.js';
import { jsonKind } from './errors.js';

export interface JsonRpcErrorReply {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

/** The message to pass on (possibly rewritten), or the reply that refuses it (none for a notification). */
export type Screened = { pass: unknown } | { refuse: JsonRpcErrorReply | undefined };

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;

/**
 * The key under which `tools/call` arguments that are not an object travel past the SDK's schema
 * (which accepts only an object) to our handler, which refuses them as `invalid_arguments` and
 * audits them as sent. A NUL character keeps it apart from any argument name a tool accepts.
 */
const NON_OBJECT_ARGUMENTS = '\u0000non-object arguments';

export function screenMessage(message: unknown): Screened {
  if (!isPlainObject(message) || typeof message.method !== 'string' || !isPlainObject(message.params)) return { pass: message };
  const params = message.params;
  const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : undefined;
  const problem = metaProblem(params._meta);
  if (problem !== undefined) return { refuse: id === undefined ? undefined : errorReply(id, INVALID_PARAMS, problem) };
  if (message.method === 'tools/call' && params.arguments !== undefined && !isPlainObject(params.arguments)) {
    return { pass: { ...message, params: { ...params, arguments: { [NON_OBJECT_ARGUMENTS]: params.arguments } } } };
  }
  return { pass: message };
}

/** The `arguments` of a `tools/call` as the client sent them, undoing the wrapping done by `screenMessage`. */
export function argumentsAsSent(args: Record<string, unknown> | undefined): unknown {
  if (args === undefined) return undefined;
  const keys = Object.keys(args);
  const wrapped = args[NON_OBJECT_ARGUMENTS];
  // Only a non-object is unwrapped, so the key cannot smuggle arguments past anything.
  return keys.length === 1 && keys[0] === NON_OBJECT_ARGUMENTS && !isPlainObject(wrapped) ? wrapped : args;
}

function metaProblem(meta: unknown): string | undefined {
  if (meta === undefined) return undefined;
  if (!isPlainObject(meta)) return `Invalid params: "_meta" must be a JSON object, not ${jsonKind(meta)}.`;
  const token = meta.progressToken;
  if (token !== undefined && typeof token !== 'string' && !Number.isInteger(token)) {
    return `Invalid params: "_meta.progressToken" must be a string or an integer, not ${jsonKind(token)}.`;
  }
  return undefined;
}

/** The answer to a message longer than the cap (its id is unknown: it was never parsed). */
export function tooLargeReply(maxBytes = MAX_MESSAGE_BYTES): JsonRpcErrorReply {
  return errorReply(null, INVALID_REQUEST, `Message too large: a message may be at most ${maxBytes} bytes; it was discarded.`);
}

/**
 * stdin for the SDK's stdio transport, one screened message per line. A line over `maxBytes` is
 * answered with `tooLargeReply` as soon as it passes the cap and skipped up to its newline, so
 * the connection goes on; a line that is not JSON is answered with a parse error.
 */
export function screenedLines(input: Readable, answer: (reply: JsonRpcErrorReply) => void, maxBytes = MAX_MESSAGE_BYTES): Readable {
  const output = new PassThrough();
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  const line = (bytes: Buffer): void => {
    const text = bytes.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      answer(errorReply(null, PARSE_ERROR, 'Parse error: the line is not valid JSON.'));
      return;
    }
    const screened = screenMessage(message);
    if ('refuse' in screened) {
      if (screened.refuse) answer(screened.refuse);
      return;
    }
    output.write(screened.pass === message ? `${text}\n` : `${JSON.stringify(screened.pass)}\n`);
  };
  input.on('data', (chunk: Buffer) => {
    for (let start = 0; ; ) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!skipping) {
        size += end - start;
        if (size > maxBytes) {
          skipping = true;
          parts = [];
          answer(tooLargeReply(maxBytes));
        } else parts.push(chunk.subarray(start, end));
      }
      if (newline === -1) break;
      if (!skipping) line(Buffer.concat(parts));
      skipping = false;
      parts = [];
      size = 0;
      start = newline + 1;
    }
  });
  input.on('end', () => output.end());
  input.on('error', (error) => output.destroy(error));
  return output;
}

function errorReply(id: string | number | null, code: number, message: string): JsonRpcErrorReply {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
