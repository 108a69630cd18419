/**
 * Outbound mail of the Schulhof mail bridge: the durable queue, VERP bounce addresses, the
 * DKIM-signing sender loop and bounce handling.
 */
export { enqueueOutbound, getOutbound, type OutboundInput, type OutboundRow, type OutboundState } from "./queue.ts";
export { bounceAddress, parseBounceAddress } from "./verp.ts";
export {
  startOutboundSender,
  classifySendError,
  retryDelayMs,
  DEFAULT_MAX_AGE_MS,
  type OutboundSender,
  type OutboundSenderOptions,
  type OutboundOutcome,
  type OutcomeHook,
  type RelayConfig,
  type DkimConfig,
  type RefusedRecipient,
  type SendAttempt,
} from "./sender.ts";
export { handleBounce, type BounceHook } from "./bounces.ts";
export { outcomeText, bounceText, failedRecipients, type Lang } from "./text.ts";
