// Public surface of the mail bridge's policy: the configuration schema and the decisions made from it.
export {
  DEFAULT_MAIL_POLICY,
  DELIVERED_RESERVED,
  MailPolicySchema,
  canReceive,
  canSend,
  dmarcDecision,
  maxMessageBytes,
  onAllowlist,
  rateLimitFor,
  relayDenied,
  sizeDecision,
  type DmarcDecision,
  type DmarcResult,
  type MailPolicy,
  type Sender,
} from "./policy.ts";
export { RATE_WINDOW_MS, rateLimit, rateLimitRefusal, type RateState } from "./ratelimit.ts";
export { SMTP_TEXT_MAX, refusal, smtpSafe, type Decision, type Refusal, type SmtpReply } from "./smtp.ts";
