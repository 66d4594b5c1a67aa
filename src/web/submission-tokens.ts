// Where submit.ts still finds the one-time submission tokens; they live in actions/idempotency.ts (this file goes when submit.ts runs through the action pipeline).
export { claimToken, recordToken, releaseToken, TOKEN_PATTERN, type Claim } from '../actions/idempotency.js';
