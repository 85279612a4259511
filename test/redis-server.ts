/**
 * A real `redis-server` (the Debian package's binary) for tests and benchmarks, as a user would run
 * one: on a loopback port chosen at run time, in a temporary directory, without persistence unless
 * asked, stopped after. `stop({ save: true })` + `start()` is a Redis restart that keeps its data
 * (SHUTDOWN SAVE, then the same port and directory).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Starts it again on the same port and directory (after `stop`). */
  start(): Promise<void>;
  /** SHUTDOWN (SAVE: the data survives the next `start`; NOSAVE: it is lost). */
  stop(options?: { save?: boolean }): Promise<void>;
  /** Sends one command and returns its raw RESP reply (for assertions on keys and TTLs). */
  command(...args: string[]): Promise<string>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

/** A port the OS says is free now (it may be taken again before we bind: callers retry). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs redis-server until it says it is ready, or rejects with its output. */
function launch(port: number, dir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'yes',
        '--loglevel',
        'warning',
        '--logfile',
        '',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) =>
      reject(
        Object.assign(new Error(`redis-server could not be started (${err.message}); install the Debian package: apt-get install -y redis-server`), {
          code: 'ENOENT',
        }),
      ),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.trim()}`)));
    // Ready when it answers PING.
    const started = Date.now();
    const poll = (): void => {
      if (child.exitCode !== null) return;
      ping(port).then(
        () => {
          child.removeAllListeners('exit');
          resolve(child);
        },
        () => (Date.now() - started > 10_000 ? reject(new Error(`redis-server on port ${port} did not answer: ${output.trim()}`)) : setTimeout(poll, 20)),
      );
    };
    poll();
  });
}

/** One command over a fresh connection, then QUIT: the reply is everything before QUIT's "+OK". */
function send(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.once('error', reject);
    socket.on('data', (c: Buffer) => (reply += c.toString('utf8')));
    socket.on('close', () => resolve(args[0] === 'SHUTDOWN' ? reply : reply.replace(/\+OK\r\n$/, '')));
    const encode = (words: string[]): string => `*${words.length}\r\n${words.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    socket.write(encode(args) + (args[0] === 'SHUTDOWN' ? '' : encode(['QUIT'])));
  });
}

const ping = (port: number): Promise<void> => send(port, ['PING']).then((r) => (r.startsWith('+PONG') ? undefined : Promise.reject(new Error(r))));

export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kommo-mcp-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
      break;
    } catch (err) {
      // Another process took the port between the probe and the bind: try another one.
      if ((err as { code?: string }).code === 'ENOENT' || attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const stop = async (options: { save?: boolean } = {}): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((done) => running.once('exit', () => done()));
    await send(port, ['SHUTDOWN', options.save ? 'SAVE' : 'NOSAVE']).catch(() => {});
    await exited;
    child = undefined;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      child = await launch(port, dir);
    },
    stop,
    command: (...args: string[]) => send(port, args),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
