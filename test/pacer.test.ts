/**
 * The shared outgoing pace: evenly spaced slots in call order, one queue for every caller, aborted
 * waits leave the queue, a 429 pause holds everyone. Driven by a fake clock: no wall-clock waits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer, realSleep, type Sleep } from '../src/kommo/pacer.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { startHarness } from './harness.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A clock that only moves when the test says so; `sleep` resolves when the clock passes its deadline. */
class FakeClock {
  t = 0;
  private timers: Array<{ at: number; resolve: () => void }> = [];
  /** How early each sleep wakes (a real timer may round down). */
  constructor(private readonly earlyMs = 0) {}

  now = (): number => this.t;

  sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // Like a Node timer: at least 1 ms, possibly a little before the exact deadline.
      const timer = { at: this.t + Math.max(1, ms - this.earlyMs), resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(signal.reason);
      });
    });

  /** Moves time forward to `t + ms`, firing due timers in order and letting their effects settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.resolve();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

/** Starts `n` acquires at once and records when (fake time) and in which order each was let through. */
function burst(pacer: Pacer, clock: FakeClock, n: number, signals: Array<AbortSignal | undefined> = []) {
  const granted: Array<{ id: number; at: number }> = [];
  const rejected: Array<{ id: number; reason: unknown }> = [];
  const done = Array.from({ length: n }, (_, id) =>
    pacer.acquire(signals[id]).then(
      () => void granted.push({ id, at: clock.now() }),
      (reason: unknown) => void rejected.push({ id, reason }),
    ),
  );
  return { granted, rejected, done: Promise.all(done) };
}

describe('Pacer', () => {
  it('lets a burst through one at a time, 1000/rps ms apart, in call order', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(10, clock.now, clock.sleep);
    const step = pacer.intervalMs;
    assert.ok(step >= 100 && step <= 102, `interval ${step}ms is just over 1000 / rps`);
    const { granted, done } = burst(pacer, clock, 5);
    await clock.advance(1000);
    await done;
    assert.deepEqual(
      granted,
      [0, 1, 2, 3, 4].map((id) => ({ id, at: id * step })),
    );
  });

  it('never lets more than rps callers through in any one-second window', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(7, clock.now, clock.sleep);
    const { granted, done } = burst(pacer, clock, 30);
    await clock.advance(10_000);
    await done;
    assert.equal(granted.length, 30);
    const times = granted.map((g) => g.at);
    for (let i = 7; i < times.length; i++) assert.ok(times[i]! - times[i - 7]! >= 1000, `8 starts within one second at #${i}`);
    assert.deepEqual(
      granted.map((g) => g.id),
      [...Array(30).keys()],
    );
  });

  it('is one queue shared by concurrent callers: their requests interleave, never overlap a slot', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(5, clock.now, clock.sleep);
    const log: Array<{ who: string; at: number }> = [];
    const worker = async (who: string): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await pacer.acquire();
        log.push({ who, at: clock.now() });
      }
    };
    const all = Promise.all([worker('a'), worker('b')]);
    await clock.advance(2000);
    await all;
    assert.deepEqual(
      log.map((l) => l.at),
      [0, 1, 2, 3, 4, 5].map((i) => i * pacer.intervalMs),
    );
    assert.deepEqual(new Set(log.map((l) => l.who)), new Set(['a', 'b']));
  });

  it('after an idle spell the first caller goes at once, and the next still waits a full interval', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(4, clock.now, clock.sleep);
    await pacer.acquire();
    await clock.advance(5000);
    const { granted, done } = burst(pacer, clock, 3);
    await flush();
    assert.deepEqual(granted, [{ id: 0, at: 5000 }], 'first caller after idle is not delayed');
    await clock.advance(1000);
    await done;
    assert.deepEqual(
      granted.map((g) => g.at),
      [5000, 5000 + pacer.intervalMs, 5000 + 2 * pacer.intervalMs],
    );
  });

  it('a timer that wakes early never narrows the gap', async () => {
    const clock = new FakeClock(0.9);
    const pacer = new Pacer(10, clock.now, clock.sleep);
    const { granted, done } = burst(pacer, clock, 4);
    await clock.advance(1000);
    await done;
    const times = granted.map((g) => g.at);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= pacer.intervalMs, `gap ${times[i]! - times[i - 1]!}ms`);
  });

  it('an abort while waiting rejects that caller with the signal reason and frees its slot for the next', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(10, clock.now, clock.sleep);
    const controller = new AbortController();
    const { granted, rejected, done } = burst(pacer, clock, 3, [undefined, controller.signal, undefined]);
    await clock.advance(50);
    controller.abort(new Error('caller gave up'));
    await clock.advance(1000);
    await done;
    assert.deepEqual(granted, [
      { id: 0, at: 0 },
      { id: 2, at: pacer.intervalMs },
    ]);
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]!.id, 1);
    assert.equal((rejected[0]!.reason as Error).message, 'caller gave up');
    assert.equal(pacer.waiting, 0);
  });

  it('an already aborted signal is refused at once and uses no slot', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(10, clock.now, clock.sleep);
    await assert.rejects(pacer.acquire(AbortSignal.abort()), { name: 'AbortError' });
    const { granted, done } = burst(pacer, clock, 1);
    await done;
    assert.deepEqual(granted, [{ id: 0, at: 0 }]);
  });

  it('pauseFor holds every caller back (after a 429), then the pace resumes', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(10, clock.now, clock.sleep);
    await pacer.acquire();
    pacer.pauseFor(1500);
    const { granted, done } = burst(pacer, clock, 2);
    await clock.advance(1400);
    assert.equal(granted.length, 0, 'nobody goes during the pause');
    await clock.advance(1000);
    await done;
    assert.deepEqual(
      granted.map((g) => g.at),
      [1500, 1500 + pacer.intervalMs],
    );
  });

  it('a pause that grows while callers wait is honoured', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(10, clock.now, clock.sleep);
    await pacer.acquire();
    const { granted, done } = burst(pacer, clock, 1);
    await clock.advance(50);
    pacer.pauseFor(500);
    await clock.advance(1000);
    await done;
    assert.deepEqual(
      granted.map((g) => g.at),
      [550],
    );
  });

  it('refuses a rate that is not a positive number', () => {
    assert.throws(() => new Pacer(0), RangeError);
    assert.throws(() => new Pacer(-1), RangeError);
    assert.throws(() => new Pacer(Number.NaN), RangeError);
    assert.throws(() => new Pacer(Number.POSITIVE_INFINITY), RangeError);
  });

  it('with the real clock, a burst is spaced by at least the interval', async () => {
    const pacer = new Pacer(50);
    const times: number[] = [];
    await Promise.all(Array.from({ length: 5 }, () => pacer.acquire().then(() => void times.push(performance.now()))));
    // performance.now() and the timer clock may disagree by a fraction of a millisecond.
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= pacer.intervalMs - 0.5, `gap ${times[i]! - times[i - 1]!}ms`);
  });

  it('realSleep rejects with the reason when aborted', async () => {
    const controller = new AbortController();
    const pending = realSleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(pending, { message: 'stop' });
  });
});

describe('the pace against the sandbox (7 requests/second per token, 429 beyond)', () => {
  let sandbox: Sandbox;
  const burstOfReads = async (pacer: Pacer): Promise<{ statuses: number[]; errors: number; elapsedMs: number }> => {
    const h = await startHarness({ sharedSandbox: sandbox, client: { pacer } });
    try {
      const ids = sandbox.store.leads.slice(0, 30).map((l) => l.id);
      assert.equal(ids.length, 30);
      h.resetLog();
      const started = performance.now();
      // get_notes: one Kommo request per call (get_lead also reads the names of the lead's contacts).
      const results = await Promise.all(ids.map((id) => h.callJson('get_notes', { entity_type: 'leads', entity_id: id })));
      const elapsedMs = performance.now() - started;
      return { statuses: h.requests().map((r) => r.status), errors: results.filter((r) => r.isError).length, elapsedMs };
    } finally {
      await h.close();
    }
  };

  it('30 concurrent reads through the server at Pacer(7) produce no 429', async () => {
    sandbox = await startSandbox({ rps: 7, leads: 40 });
    try {
      const paced = await burstOfReads(new Pacer(7));
      assert.equal(paced.errors, 0);
      assert.equal(paced.statuses.length, 30, 'one request per read, no retries needed');
      assert.equal(paced.statuses.filter((s) => s === 429).length, 0);
      const pacer = new Pacer(7);
      assert.ok(paced.elapsedMs >= 29 * pacer.intervalMs - 5, `30 reads were spread over ${Math.round(paced.elapsedMs)} ms`);

      // The same burst without a real pace does hit the limit: the test above can fail.
      const unpaced = await burstOfReads(new Pacer(1000));
      assert.ok(unpaced.statuses.filter((s) => s === 429).length > 0, `expected 429s without pacing: ${unpaced.statuses.join(',')}`);
    } finally {
      await sandbox.close();
    }
  });
});
