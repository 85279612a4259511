/**
 * The `limiter_unavailable` refusal: the error result names the tool, says the call was not made and
 * when to retry, in the one JSON shape every refusal has.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LimiterUnavailableError, toErrorResult } from '../src/errors.js';

describe('limiter_unavailable', () => {
  it('is a JSON error result naming the tool, saying the call was not made, with a retry hint', () => {
    const result = toErrorResult(new LimiterUnavailableError('run_salesbot'));
    assert.equal(result.isError, true);
    const payload = JSON.parse((result.content[0] as { text: string }).text) as Record<string, unknown>;
    assert.equal(payload.error, 'limiter_unavailable');
    assert.equal(payload.tool, 'run_salesbot');
    assert.equal(payload.retryAfterSeconds, 5);
    assert.match(String(payload.message), /^run_salesbot was not made because/);
  });
});
