// What went wrong in a chat, in the user's language: the homeserver's refusals mapped to the section's texts.
import { ConnectionError, MatrixError } from "matrix-js-sdk";
import { userMessage } from "../../lib/errors.ts";
import { t } from "../../lib/i18n/index.svelte.ts";
import { log } from "../../lib/log.ts";

/**
 * The text to show for an error of the homeserver or the media repository. Synapse answers in English only, so its
 * `errcode` picks a text of ours; anything else goes through the client's general {@link userMessage}.
 */
export function chatErrorMessage(error: unknown): string {
  log.warn("chat action failed", error);
  if (error instanceof ConnectionError) return t("error.server_unreachable");
  if (error instanceof MatrixError) {
    if (error.errcode === "M_LIMIT_EXCEEDED") return t("error.rate_limited");
    if (error.errcode === "M_TOO_LARGE" || error.httpStatus === 413) return t("chats.error_too_large");
    if (error.errcode === "M_FORBIDDEN" || error.httpStatus === 403) return t("chats.error_forbidden");
    if (error.errcode === "M_NOT_FOUND" || error.httpStatus === 404) return t("chats.error_not_found");
    if (error.httpStatus !== undefined && error.httpStatus >= 500) return t("error.server_unreachable");
    return t("error.unknown");
  }
  return userMessage(error);
}
