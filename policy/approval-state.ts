/**
 * Approval on protocol revision 2026-07-28 has no server-to-client request: the server answers the
 * call with an `input_required` result carrying the approval form and a `requestState`, and the
 * client sends the call again with the person's answer and that state. The state comes back through
 * the client, so it is attacker-controlled on re-entry. It is sealed here with the SDK's
 * `createRequestStateCodec` (HMAC-SHA256) and binds everything the approval was about: the grant,
 * the tool, the SHA-256 of the exact arguments, the policy in force and the expiry (the approval
 * timeout). Each state is good for one call: its id is claimed in the counter store, so a replay is
 * refused by every replica that shares the store.
 */
import { randomUUID } from 'node:crypto';
import { createRequestStateCodec, type RequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { CounterStore } from './counter-store.js';

/** What one sealed approval state is bound to. */
export interface ApprovalClaims {
  /** Random: the single-use marker. */
  id: string;
  grant: string;
  tool: string;
  argsSha256: string;
  policySha256: string;
  /** Epoch ms after which the approval cannot be used (the policy's approval timeout). */
  expiresAt: number;
}

const ClaimsSchema = z
  .object({
    id: z.string().min(16).max(64),
    grant: z.string().min(1).max(200),
    tool: z.string().min(1).max(100),
    argsSha256: z.string().min(1).max(200),
    policySha256: z.string().regex(/^[0-9a-f]{64}$/),
    expiresAt: z.number().int().positive(),
  })
  .strict();

export const MIN_STATE_KEY_BYTES = 32;
/** The codec's own expiry is only a backstop: each state carries its approval timeout. */
const CODEC_TTL_SECONDS = 24 * 60 * 60;
/** Markers outlive their state a little, so a clock step between replicas cannot reopen one. */
const MARKER_GRACE_MS = 60_000;

export interface ApprovalStatesOptions {
  /** HMAC key, at least 32 bytes; every replica that may receive the echo needs the same one. */
  key: Uint8Array | string;
  /** Where single-use markers live (the limiter's counter store: memory, or Redis for replicas). */
  store: Pick<CounterStore, 'claimOnce'>;
  now?: () => number;
}

export class ApprovalStates {
  private readonly codec: RequestStateCodec<ApprovalClaims>;
  private readonly store: Pick<CounterStore, 'claimOnce'>;
  private readonly now: () => number;

  constructor(options: ApprovalStatesOptions) {
    this.codec = createRequestStateCodec<ApprovalClaims>({ key: options.key, ttlSeconds: CODEC_TTL_SECONDS });
    this.store = options.store;
    this.now = options.now ?? Date.now;
  }

  /**
   * For `ServerOptions.requestState.verify`: runs before the handler on every round that carries a
   * state; a forged, altered or foreign state never reaches it (the SDK answers -32602).
   */
  readonly verify = async (state: string, ctx: ServerContext): Promise<ApprovalClaims> => ClaimsSchema.parse(await this.codec.verify(state, ctx));

  /** Seals a new state for one approval; `expiresAt` is now + the approval timeout. */
  async seal(bound: Omit<ApprovalClaims, 'id' | 'expiresAt'>, timeoutMs: number): Promise<{ state: string; claims: ApprovalClaims }> {
    const claims: ApprovalClaims = { id: randomUUID(), ...bound, expiresAt: this.now() + timeoutMs };
    return { state: await this.codec.mint(claims), claims };
  }

  expired(claims: ApprovalClaims): boolean {
    return this.now() >= claims.expiresAt;
  }

  /** True the first time a state is used, false on every replay (within its lifetime and beyond). */
  async claim(claims: ApprovalClaims): Promise<boolean> {
    const ttlMs = Math.max(1, claims.expiresAt - this.now()) + MARKER_GRACE_MS;
    return this.store.claimOnce(`approval:${claims.id}`, ttlMs);
  }
}
