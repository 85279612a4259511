/**
 * The shared-counter settings: KOMMO_REDIS_URL / KOMMO_REDIS_PREFIX / KOMMO_REDIS_FAIL. A malformed
 * value stops startup with one line naming the variable, never repeating a password from the URL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

const BASE = { KOMMO_BASE_URL: 'https://acme.kommo.com', KOMMO_ACCESS_TOKEN: 'eyJhbGciOiJSUzI1NiJ9.payload.sig' };
const serve = { sandbox: false };

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig({ ...BASE, ...env }, serve);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('config: shared counters on Redis', () => {
  it('without KOMMO_REDIS_URL counters stay in memory (no redis section)', () => {
    assert.equal(loadConfig(BASE, serve).redis, undefined);
    assert.equal(loadConfig({ ...BASE, KOMMO_REDIS_URL: '' }, serve).redis, undefined, 'an empty line from .env.example is unset');
  });

  it('KOMMO_REDIS_URL alone: prefix kommo-mcp:, fail closed', () => {
    assert.deepEqual(loadConfig({ ...BASE, KOMMO_REDIS_URL: 'redis://10.0.0.5:6379' }, serve).redis, {
      url: 'redis://10.0.0.5:6379',
      prefix: 'kommo-mcp:',
      fail: 'closed',
    });
  });

  it('takes rediss://, credentials, a database number, a prefix and fail=open', () => {
    const url = 'rediss://app:s3cret-pass@redis.internal:6380/2';
    assert.deepEqual(loadConfig({ ...BASE, KOMMO_REDIS_URL: url, KOMMO_REDIS_PREFIX: 'acme-prod:', KOMMO_REDIS_FAIL: 'OPEN' }, serve).redis, {
      url,
      prefix: 'acme-prod:',
      fail: 'open',
    });
  });

  for (const bad of ['localhost:6379', 'http://127.0.0.1:6379', 'redis://', 'redis://:pw-XYZZY@host:99999', 'redis://host:6379/db?x=1', 'not a url pw-XYZZY']) {
    it(`a malformed KOMMO_REDIS_URL (${bad.replace('XYZZY', '…')}) stops startup with one line naming it, without the value`, () => {
      const err = configError({ KOMMO_REDIS_URL: bad });
      assert.doesNotMatch(err.message, /[\r\n]/);
      assert.ok(err.message.startsWith('KOMMO_REDIS_URL'), err.message);
      assert.match(err.message, /e\.g\. KOMMO_REDIS_URL=redis:\/\/127\.0\.0\.1:6379/);
      assert.ok(!err.message.includes('XYZZY'), 'a password in the URL is never echoed');
    });
  }

  it('KOMMO_REDIS_FAIL other than closed|open, or a prefix with spaces, names the variable', () => {
    assert.match(
      configError({ KOMMO_REDIS_URL: 'redis://h', KOMMO_REDIS_FAIL: 'maybe' }).message,
      /^KOMMO_REDIS_FAIL must be closed or open, e\.g\. KOMMO_REDIS_FAIL=closed$/,
    );
    assert.match(configError({ KOMMO_REDIS_URL: 'redis://h', KOMMO_REDIS_PREFIX: 'my app:' }).message, /^KOMMO_REDIS_PREFIX must be/);
  });
});
