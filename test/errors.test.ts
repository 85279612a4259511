import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cancelled, KommoError, PageLimitReached, toErrorResult } from '../src/errors.js';
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
    assert.ok(err instanceof KommoError);
    assert.equal(payload(err)['error'], 'kommo_error');
  });
});
