/**
 * The defaults that several modules share: each is written once here and imported where it is used
 * (settings, the Kommo client, the reference cache, the limiter, the policy compiler, approvals).
 */

/** Kommo's documented limit per account, and the pace the server keeps (KOMMO_MAX_RPS). */
export const MAX_RPS = 7;
/** Hard deadline of one HTTP attempt to Kommo (KOMMO_TIMEOUT_MS). */
export const REQUEST_TIMEOUT_MS = 15_000;
/** Retries of a read after its first attempt (KOMMO_MAX_RETRIES); writes are never retried. */
export const MAX_RETRIES = 3;
/** How long account, pipelines, users and loss reasons are re-used (KOMMO_REFERENCE_TTL_S). */
export const REFERENCE_TTL_S = 600;
/** Most per-argument counter keys held at once (KOMMO_LIMITER_MAX_KEYS). */
export const LIMITER_MAX_KEYS = 100_000;
/** How long a person has to answer an approval form (a rule's `approval.timeout_s`). */
export const APPROVAL_TIMEOUT_MS = 120_000;
/** Approval forms that may wait at once per grant (a rule's `approval.max_pending`). */
export const MAX_PENDING_APPROVALS = 1;
/** Longest protocol message accepted (a stdio line or an HTTP POST body); a longer one is answered with an error and dropped. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
