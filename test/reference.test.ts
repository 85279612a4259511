import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KommoApi } from '../src/kommo/api.js';
import { ReferenceData } from '../src/kommo/reference.js';
import { fakeKommoApi } from './fake-kommo.js';

/** A Kommo API that answers the pipelines list and counts how often it was asked. */
function countingClient(): { kommo: KommoApi; calls: () => number } {
  let calls = 0;
  const kommo = fakeKommoApi({
    pipelines: {
      async list() {
        calls++;
        return [{ id: calls, name: `P${calls}`, sort: 1, is_main: true }];
      },
    },
  });
  return { kommo, calls: () => calls };
}

test('reference data is served from cache within the TTL and fetched again right after it', async () => {
  let now = 1_000_000;
  const { kommo, calls } = countingClient();
  const reference = new ReferenceData(kommo, { ttlMs: 60_000, now: () => now });
  await reference.pipelines();
  now += 59_999;
  await reference.pipelines();
  assert.equal(calls(), 1, 'still fresh one millisecond before expiry');
  now += 2;
  const pipelines = await reference.pipelines();
  assert.equal(calls(), 2, 'expired entries are fetched again, with no wall-clock wait');
  assert.equal(pipelines[0]!.id, 2);
});

test('concurrent callers share one in-flight request', async () => {
  const { kommo, calls } = countingClient();
  const reference = new ReferenceData(kommo);
  await Promise.all([reference.pipelines(), reference.pipelines(), reference.pipelines()]);
  assert.equal(calls(), 1);
});

test('KOMMO_TIMEZONE overrides the account timezone without asking Kommo', async () => {
  const { kommo, calls } = countingClient();
  const reference = new ReferenceData(kommo, { timezone: 'America/Bogota' });
  assert.equal(await reference.timezone(), 'America/Bogota');
  assert.equal(calls(), 0);
});
