import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asToolError,
  Cancelled,
  KommoError,
  KommoFailure,
  KommoHttpError,
  KommoNotFound,
  KommoResponseTooLarge,
  KommoTimeout,
  KommoUnreachable,
  NotFound,
  PageLimitReached,
  ToolError,
  toErrorResult,
} from '../src/errors.js';
import { isCancellation } from '../src/reports/context.js';

const payload = (err: unknown) => JSON.parse((toErrorResult(err).content[0] as { text: string }).text) as Record<string, unknown>;

describe('typed Kommo failures', () => {
  it('a cancellation is one class: its reason is set by the class, and a write cancelled after sending says it may have been applied', () => {
    assert.deepEqual(payload(new Cancelled('before_answer')), {
      error: 'kommo_error',
      message: 'The call was cancelled before Kommo answered.',
      status: 0,
      reason: 'cancelled',
    });
    const afterSend = payload(new Cancelled('after_write_sent'));
    assert.equal(afterSend['outcome'], 'unknown');
    assert.match(String(afterSend['message']), /may have been applied/);
  });

  it('cancellation is recognised by type, never by the words of a message', () => {
    assert.equal(isCancellation(new Cancelled()), true);
    assert.equal(isCancellation(Object.assign(new Error('stop'), { name: 'AbortError' })), true);
    assert.equal(isCancellation(new KommoError('Kommo cancelled the Salesbot run.', 0)), false);
    assert.equal(isCancellation(new KommoError('The call was cancelled before Kommo answered.', 0)), false);
  });

  it('the page bound of a list walk is its own type', () => {
    const err = new PageLimitReached(400, 'leads');
    assert.ok(err instanceof KommoFailure);
    assert.equal(payload(err)['error'], 'kommo_error');
  });

  it('transport failures are not tool errors: the one mapper turns them into kommo_error with status, not_found, and the lost-write wording', () => {
    const failures = [
      new KommoHttpError('Kommo answered with an unexpected HTTP 418.', 418),
      new KommoTimeout('Kommo did not answer within 30 seconds.', 0, { reason: 'timeout' }, true),
      new KommoUnreachable('The connection to Kommo broke after the request was sent', 0, { reason: 'network' }, false, true),
      new KommoResponseTooLarge(),
      new KommoNotFound('Lead 42'),
      new Cancelled(),
      new PageLimitReached(400, 'leads'),
    ];
    for (const failure of failures) assert.equal(failure instanceof ToolError, false, failure.name);
    assert.deepEqual(payload(failures[0]), { error: 'kommo_error', message: 'Kommo answered with an unexpected HTTP 418.', status: 418 });
    assert.deepEqual(payload(failures[2]), {
      error: 'kommo_error',
      message: 'The connection to Kommo broke after the request was sent, so the change may have been applied; check the record before trying again.',
      status: 0,
      reason: 'network',
      outcome: 'unknown',
    });
    assert.deepEqual(payload(failures[4]), { error: 'not_found', message: 'Lead 42 was not found in Kommo.' });
    assert.ok(asToolError(failures[4]) instanceof NotFound);
    assert.ok(asToolError(failures[1]) instanceof KommoError);
    assert.equal(asToolError(new Error('a bug')), undefined);
    assert.equal(payload(new Error('a bug'))['error'], 'internal_error');
  });
});
