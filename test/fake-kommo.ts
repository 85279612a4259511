/**
 * A fake of the Kommo API interface for unit tests: each test gives only the calls it expects, and
 * any other call fails loudly, naming itself (so a test never passes on a silently empty answer).
 */
import type { KommoApi } from '../src/kommo/api.js';

type Group = Exclude<keyof KommoApi, 'account'>;

export type FakeKommoParts = { account?: KommoApi['account'] } & { [K in Group]?: Partial<KommoApi[K]> };

export function fakeKommoApi(parts: FakeKommoParts): KommoApi {
  const unexpected = (name: string) => () => {
    throw new Error(`the fake Kommo API was not expected to be asked for ${name}`);
  };
  const group = (key: string, methods: object) =>
    new Proxy(methods, { get: (target, method) => (target as Record<string | symbol, unknown>)[method] ?? unexpected(`${key}.${String(method)}`) });
  return new Proxy(parts, {
    get: (target, key) => {
      const part = (target as Record<string | symbol, unknown>)[key];
      if (key === 'account') return part ?? unexpected('account');
      return group(String(key), (part as object | undefined) ?? {});
    },
  }) as KommoApi;
}
