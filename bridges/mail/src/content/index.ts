/**
 * Mail content handling of the Schulhof mail bridge (pure functions, no network, no database):
 * parsing inbound mail, sanitising HTML for Matrix, building Matrix message content, threading,
 * composing outbound mail and recognising bounces.
 */
export {
  parseMail,
  MailParseError,
  DEFAULT_MAIL_LIMITS,
  type ParsedMail,
  type MailLimits,
  type MailAddress,
  type MailAttachment,
} from "./parse.ts";
export { toMatrixHtml, htmlToText, DEFAULT_MAX_HTML_LENGTH, MATRIX_ALLOWED_TAGS, type MatrixHtmlOptions } from "./sanitize.ts";
export {
  toMatrixMessage,
  MAIL_CONTENT_KEY,
  DMARC_FAIL_WARNING,
  type DmarcResult,
  type MatrixMessageOptions,
  type MailContentMeta,
} from "./matrix.ts";
export { threadKeys, threadKey, normaliseSubject } from "./thread.ts";
export {
  composeMail,
  validateAddressList,
  normaliseAddress,
  MailComposeError,
  MAX_RECIPIENTS,
  type ComposeInput,
  type OutboundAttachment,
  type AddressListResult,
} from "./compose.ts";
export { parseBounce, type BounceInfo, type BounceRecipient } from "./dsn.ts";
export { sanitizeFilename, normaliseMessageId, escapeHtml, cleanContentType, FALLBACK_FILENAME, type BilingualText } from "./util.ts";
