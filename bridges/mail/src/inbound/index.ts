/** Public surface of the inbound side of the mail bridge: the SMTP server (MX), sender authentication and the inbound queue. */
export { startInboundServer, type InboundOptions, type RunningInbound } from "./server.ts";
export { authenticateMessage, staticResolver, summarise, temperrorSummary, type AuthContext, type DnsRecords, type MailauthResolver } from "./auth.ts";
export { hasHeaderSection, receivedField, rfc5322Date, stripForgedAuthResults, withTraceFields, type ReceivedInfo } from "./trace.ts";
export { markDelivered, markInboundFailed, markInboundRetry, nextInbound, storeInbound, type InboundRow } from "./queue.ts";
export { verdictOf, type AuthSummary, type DkimSummary, type InboundMessage, type InboundRefusal, type InboundVerdict } from "./types.ts";
