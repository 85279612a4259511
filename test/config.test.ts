/**
 * Startup configuration: every missing or malformed variable stops the server with one line that
 * names the variable and shows an example value, and the token never appears in that line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_POLICY_PATH, loadConfig, parseArgs } from '../src/config.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.SECRET-payload.sig_1234567890';
const BASE = { KOMMO_BASE_URL: 'https://acme.kommo.com', KOMMO_ACCESS_TOKEN: TOKEN };
const serve = { sandbox: false };

function configError(env: NodeJS.ProcessEnv, command: { sandbox: boolean; policyFlag?: string } = serve): ConfigError {
  try {
    loadConfig(env, command);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** One line, naming the variable, showing `VAR=example`, never the token. */
function assertReadable(err: ConfigError, variable: string): void {
  assert.doesNotMatch(err.message, /[\r\n]/, 'one line');
  assert.ok(err.message.startsWith(variable), `names ${variable} first: ${err.message}`);
  assert.match(err.message, new RegExp(`e\\.g\\. ${variable}=\\S+|like ${variable}=\\S+`), `shows an example: ${err.message}`);
  assert.ok(!err.message.includes(TOKEN), 'the token is never echoed');
  assert.ok(!err.message.includes('SECRET'), 'no part of the token is echoed');
}

describe('config: the Kommo account', () => {
  it('accepts an https account address and the token, and applies the defaults', () => {
    const config = loadConfig({ ...BASE, PATH: '/bin', OTHER: 'x' }, serve);
    assert.deepEqual(config, {
      kommo: { baseUrl: 'https://acme.kommo.com', token: TOKEN },
      sandbox: false,
      policyPath: DEFAULT_POLICY_PATH,
      maxRps: 7,
      timeoutMs: 15_000,
      maxRetries: 3,
      referenceTtlMs: 600_000,
      limiterMaxKeys: 100_000,
      logLevel: 'info',
    });
  });

  it('normalises the base URL to its origin (trailing slash, case, surrounding spaces)', () => {
    assert.equal(loadConfig({ ...BASE, KOMMO_BASE_URL: '  https://ACME.kommo.com/  ' }, serve).kommo?.baseUrl, 'https://acme.kommo.com');
  });

  it('missing KOMMO_BASE_URL (and no KOMMO_SUBDOMAIN) → names it with an example', () => {
    const err = configError({ KOMMO_ACCESS_TOKEN: TOKEN });
    assertReadable(err, 'KOMMO_BASE_URL');
    assert.match(err.message, /--sandbox/, 'points at the way to try without an account');
  });

  it('missing KOMMO_ACCESS_TOKEN → names it with an example', () => {
    assertReadable(configError({ KOMMO_BASE_URL: 'https://acme.kommo.com' }), 'KOMMO_ACCESS_TOKEN');
  });

  it('empty values (KOMMO_X= lines left from .env.example) count as unset', () => {
    assertReadable(configError({ KOMMO_BASE_URL: '', KOMMO_ACCESS_TOKEN: TOKEN }), 'KOMMO_BASE_URL');
    assertReadable(configError({ KOMMO_BASE_URL: 'https://acme.kommo.com', KOMMO_ACCESS_TOKEN: '   ' }), 'KOMMO_ACCESS_TOKEN');
    const config = loadConfig({ ...BASE, KOMMO_MAX_RPS: '', KOMMO_TIMEZONE: ' ', KOMMO_POLICY: '', KOMMO_LOG_LEVEL: '', KOMMO_SUBDOMAIN: '' }, serve);
    assert.equal(config.maxRps, 7);
    assert.equal(config.timezone, undefined);
    assert.equal(config.policyPath, DEFAULT_POLICY_PATH);
    assert.equal(config.logLevel, 'info');
  });

  const badUrls: Array<[string, RegExp]> = [
    ['acme.kommo.com', /not a URL/],
    ['not a url', /not a URL/],
    ['http://acme.kommo.com', /must use https:\/\//],
    ['http://10.0.0.5:8080', /must use https:\/\//],
    ['http://0.0.0.0:8080', /must use https:\/\//],
    ['http://localhost.evil.example', /must use https:\/\//],
    ['ftp://acme.kommo.com', /must use https:\/\//],
    ['https://acme.kommo.com/api/v4', /without path or query/],
    ['https://acme.kommo.com/?x=1', /without path or query/],
    [`https://user:${TOKEN}@acme.kommo.com`, /without path or query/],
  ];
  for (const [url, why] of badUrls) {
    it(`KOMMO_BASE_URL=${url.replace(TOKEN, '<token>')} is refused`, () => {
      const err = configError({ ...BASE, KOMMO_BASE_URL: url });
      assertReadable(err, 'KOMMO_BASE_URL');
      assert.match(err.message, why);
    });
  }

  for (const url of ['http://127.0.0.1:1234', 'http://localhost:8080', 'http://[::1]:9000', 'http://127.0.0.2']) {
    it(`plain http:// is accepted for the loopback host ${url}`, () => {
      assert.equal(loadConfig({ ...BASE, KOMMO_BASE_URL: url }, serve).kommo?.baseUrl, url);
    });
  }

  it('KOMMO_SUBDOMAIN stands in for the base URL; KOMMO_BASE_URL wins when both are set', () => {
    assert.equal(loadConfig({ KOMMO_SUBDOMAIN: 'Acme-Brasil', KOMMO_ACCESS_TOKEN: TOKEN }, serve).kommo?.baseUrl, 'https://acme-brasil.kommo.com');
    assert.equal(
      loadConfig({ KOMMO_SUBDOMAIN: 'other', KOMMO_BASE_URL: 'https://acme.kommo.com', KOMMO_ACCESS_TOKEN: TOKEN }, serve).kommo?.baseUrl,
      'https://acme.kommo.com',
    );
  });

  for (const sub of ['acme.kommo.com', 'https://acme', 'ac me', '-acme']) {
    it(`KOMMO_SUBDOMAIN=${sub} is refused`, () => {
      assertReadable(configError({ KOMMO_SUBDOMAIN: sub, KOMMO_ACCESS_TOKEN: TOKEN }), 'KOMMO_SUBDOMAIN');
    });
  }

  for (const [label, token] of [
    ['too short', 'abc'],
    ['with spaces', `${TOKEN} ${TOKEN}`],
    ['on two lines', `${TOKEN}\n${TOKEN}`],
    ['the .env.example placeholder', 'paste-your-long-lived-token-here'],
  ]) {
    it(`KOMMO_ACCESS_TOKEN ${label} is refused without echoing it`, () => {
      assertReadable(configError({ ...BASE, KOMMO_ACCESS_TOKEN: token }), 'KOMMO_ACCESS_TOKEN');
    });
  }

  it('a token pasted with its "Bearer " prefix is accepted without it', () => {
    assert.equal(loadConfig({ ...BASE, KOMMO_ACCESS_TOKEN: `Bearer ${TOKEN}` }, serve).kommo?.token, TOKEN);
    assert.equal(loadConfig({ ...BASE, KOMMO_ACCESS_TOKEN: `  ${TOKEN}\n` }, serve).kommo?.token, TOKEN);
  });

  it('in sandbox mode neither the URL nor the token is needed', () => {
    const config = loadConfig({}, { sandbox: true });
    assert.equal(config.kommo, undefined);
    assert.equal(config.sandbox, true);
  });
});

describe('config: numbers and other settings', () => {
  const numeric: Array<[string, string[], string[], string, number]> = [
    // name, refused values, accepted values, config key, expected for the first accepted
    ['KOMMO_MAX_RPS', ['0', '51', '7.5', 'seven', '-1', '0x7', '1e1'], ['1', '50'], 'maxRps', 1],
    ['KOMMO_TIMEOUT_MS', ['999', '300001', '15s'], ['1000', '300000'], 'timeoutMs', 1000],
    ['KOMMO_MAX_RETRIES', ['-1', '11', 'three'], ['0', '10'], 'maxRetries', 0],
    ['KOMMO_REFERENCE_TTL_S', ['-5', '86401'], ['0', '86400'], 'referenceTtlMs', 0],
    ['KOMMO_LIMITER_MAX_KEYS', ['99', '1.5'], ['100'], 'limiterMaxKeys', 100],
  ];
  for (const [name, refused, accepted, key, first] of numeric) {
    it(`${name}: out of range or not a whole number → one line with the bounds and an example`, () => {
      for (const value of refused) {
        const err = configError({ ...BASE, [name]: value });
        assertReadable(err, name);
        assert.match(err.message, /whole number from \d+ to \d+/);
      }
      for (const value of accepted) assert.doesNotThrow(() => loadConfig({ ...BASE, [name]: value }, serve), `${name}=${value}`);
      assert.equal(
        (loadConfig({ ...BASE, [name]: accepted[0] }, serve) as unknown as Record<string, unknown>)[key],
        name === 'KOMMO_REFERENCE_TTL_S' ? first * 1000 : first,
      );
    });
  }

  it('KOMMO_TIMEZONE must be an IANA name', () => {
    assertReadable(configError({ ...BASE, KOMMO_TIMEZONE: 'Brasilia' }), 'KOMMO_TIMEZONE');
    assert.equal(loadConfig({ ...BASE, KOMMO_TIMEZONE: 'America/Sao_Paulo' }, serve).timezone, 'America/Sao_Paulo');
  });

  it('KOMMO_LANGUAGE is pt, es or en (a regional form reads as its language); unset, the account decides', () => {
    assertReadable(configError({ ...BASE, KOMMO_LANGUAGE: 'fr' }), 'KOMMO_LANGUAGE');
    assertReadable(configError({ ...BASE, KOMMO_LANGUAGE: 'portuguese' }), 'KOMMO_LANGUAGE');
    assert.equal(loadConfig({ ...BASE, KOMMO_LANGUAGE: 'pt-BR' }, serve).language, 'pt');
    assert.equal(loadConfig({ ...BASE, KOMMO_LANGUAGE: 'ES' }, serve).language, 'es');
    assert.equal(loadConfig(BASE, serve).language, undefined);
  });

  it('KOMMO_LOG_LEVEL is one of debug/info/warn/error, in any case', () => {
    assertReadable(configError({ ...BASE, KOMMO_LOG_LEVEL: 'verbose' }), 'KOMMO_LOG_LEVEL');
    assert.equal(loadConfig({ ...BASE, KOMMO_LOG_LEVEL: 'DEBUG' }, serve).logLevel, 'debug');
  });

  it('the policy path: --policy wins over KOMMO_POLICY, which wins over the shipped default', () => {
    assert.equal(loadConfig({ ...BASE, KOMMO_POLICY: 'env.json' }, { sandbox: false, policyFlag: 'flag.json' }).policyPath, 'flag.json');
    assert.equal(loadConfig({ ...BASE, KOMMO_POLICY: 'env.json' }, serve).policyPath, 'env.json');
    assert.match(DEFAULT_POLICY_PATH, /policy[\\/]default\.json$/);
  });

  it('KOMMO_AUDIT_LOG is passed through', () => {
    assert.equal(loadConfig({ ...BASE, KOMMO_AUDIT_LOG: './audit.log' }, serve).auditLog, './audit.log');
  });

  it('only the first problem is reported, still one line', () => {
    const err = configError({ KOMMO_BASE_URL: 'http://evil.example', KOMMO_ACCESS_TOKEN: 'x', KOMMO_MAX_RPS: '0' });
    assert.doesNotMatch(err.message, /[\r\n]/);
  });
});

describe('config: command line', () => {
  it('parses serve, --sandbox, --policy (both forms), help, version and policy check', () => {
    assert.deepEqual(parseArgs([]), { kind: 'serve', sandbox: false });
    assert.deepEqual(parseArgs(['--sandbox']), { kind: 'serve', sandbox: true });
    assert.deepEqual(parseArgs(['--policy', 'p.json', '--sandbox']), { kind: 'serve', sandbox: true, policyFlag: 'p.json' });
    assert.deepEqual(parseArgs(['--policy=p.json']), { kind: 'serve', sandbox: false, policyFlag: 'p.json' });
    assert.deepEqual(parseArgs(['--help']), { kind: 'help' });
    assert.deepEqual(parseArgs(['-h']), { kind: 'help' });
    assert.deepEqual(parseArgs(['--version']), { kind: 'version' });
    assert.deepEqual(parseArgs(['policy', 'check', 'x.json']), { kind: 'policy-check', file: 'x.json' });
  });

  it('refuses unknown arguments and a --policy without a file, with a usage hint', () => {
    assert.throws(
      () => parseArgs(['--sandbx']),
      (err: unknown) => err instanceof ConfigError && /unknown argument "--sandbx"; run kommo-mcp --help/.test(err.message),
    );
    assert.throws(
      () => parseArgs(['--policy']),
      (err: unknown) => err instanceof ConfigError && /--policy needs a file path, e\.g\./.test(err.message),
    );
    assert.throws(() => parseArgs(['policy', 'check']), ConfigError);
  });

  it('--http with its defaults, --host/--port (both forms), --port 0, and --grants', () => {
    assert.deepEqual(parseArgs(['--http']), { kind: 'serve', sandbox: false, http: { host: '127.0.0.1', port: 8765 } });
    assert.deepEqual(parseArgs(['--http', '--host', '::1', '--port=0', '--grants', 'g.json']), {
      kind: 'serve',
      sandbox: false,
      grantsFlag: 'g.json',
      http: { host: '::1', port: 0 },
    });
    assert.deepEqual(parseArgs(['grant', 'add', 'ci-bot', '--grants', 'g.json']), { kind: 'grant-add', name: 'ci-bot', grantsFlag: 'g.json' });
    assert.deepEqual(parseArgs(['grant', 'add', 'ci-bot']), { kind: 'grant-add', name: 'ci-bot' });
  });

  it('refuses --host/--port without --http, a bad port, and a grant add without a name', () => {
    assert.throws(
      () => parseArgs(['--port', '8000']),
      (err: unknown) => err instanceof ConfigError && /add --http/.test(err.message),
    );
    assert.throws(
      () => parseArgs(['--http', '--port', '70000']),
      (err: unknown) => err instanceof ConfigError && /--port must be a port number/.test(err.message),
    );
    assert.throws(() => parseArgs(['--http', '--port', 'x1']), ConfigError);
    assert.throws(
      () => parseArgs(['--http', '--host']),
      (err: unknown) => err instanceof ConfigError && /--host needs a value/.test(err.message),
    );
    assert.throws(
      () => parseArgs(['grant', 'add']),
      (err: unknown) => err instanceof ConfigError && /usage: kommo-mcp grant add <name>/.test(err.message),
    );
  });

  it('HTTP: a non-loopback bind needs grants (KOMMO_GRANTS or --grants); loopback does not', () => {
    const http = (host: string) => ({ sandbox: true, http: { host, port: 0 } });
    assert.throws(
      () => loadConfig({}, http('0.0.0.0')),
      (err: unknown) => err instanceof ConfigError && /^refusing to serve HTTP on 0\.0\.0\.0 without grants/.test(err.message),
    );
    assert.equal(loadConfig({ KOMMO_GRANTS: 'g.json' }, http('0.0.0.0')).grantsPath, 'g.json');
    assert.equal(loadConfig({}, { ...http('0.0.0.0'), grantsFlag: 'f.json' }).grantsPath, 'f.json');
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) assert.equal(loadConfig({}, http(host)).http?.host, host);
    assert.deepEqual(loadConfig({ KOMMO_HTTP_ALLOWED_HOSTS: 'MCP.example.com, mcp2.example.com' }, http('127.0.0.1')).http?.allowedHosts, [
      'mcp.example.com',
      'mcp2.example.com',
    ]);
  });

  it('KOMMO_STATE_KEY: at least 32 bytes, named in the one-line error', () => {
    assert.throws(
      () => loadConfig({ KOMMO_STATE_KEY: 'short-key' }, { sandbox: true }),
      (err: unknown) => err instanceof ConfigError && /^KOMMO_STATE_KEY must be at least 32 bytes/.test(err.message),
    );
    const key = 'k'.repeat(32);
    assert.equal(loadConfig({ KOMMO_STATE_KEY: key }, { sandbox: true }).stateKey, key);
    assert.equal(loadConfig({}, { sandbox: true }).stateKey, undefined);
  });
});
