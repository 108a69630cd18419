// Message contents as plain data: what the client sends (text, reply, edit, reaction, file) and how received bodies are cleaned.

/** The HTML format of `formatted_body` that Matrix clients use. */
export const HTML_FORMAT = "org.matrix.custom.html";

/** The `m.room.message` content the client sends: only plain text (no HTML of its own). */
export interface TextContent {
  msgtype: "m.text";
  body: string;
  "m.relates_to"?: { "m.in_reply_to": { event_id: string } } | { rel_type: "m.replace"; event_id: string };
  "m.new_content"?: { msgtype: "m.text"; body: string };
  "m.mentions"?: { user_ids: string[] };
}

/** A plain text message. */
export function textContent(text: string): TextContent {
  return { msgtype: "m.text", body: text };
}

/** A reply to `original` (mentions its sender, as the spec asks; no fallback quote, which the spec removed). */
export function replyContent(text: string, original: { eventId: string; sender: string }, ownUserId: string): TextContent {
  return {
    msgtype: "m.text",
    body: text,
    "m.relates_to": { "m.in_reply_to": { event_id: original.eventId } },
    "m.mentions": { user_ids: original.sender === ownUserId ? [] : [original.sender] },
  };
}

/** An edit of the own message `eventId`: clients that know edits show `m.new_content`, the others "* text". */
export function editContent(text: string, eventId: string): TextContent {
  return {
    msgtype: "m.text",
    body: `* ${text}`,
    "m.new_content": { msgtype: "m.text", body: text },
    "m.relates_to": { rel_type: "m.replace", event_id: eventId },
  };
}

/** An `m.reaction` with `key` (an emoji) on `eventId`. */
export function reactionContent(eventId: string, key: string): { "m.relates_to": { rel_type: "m.annotation"; event_id: string; key: string } } {
  return { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } };
}

/** What an uploaded file becomes: an image (shown in the timeline) or a file (offered for download). */
export interface UploadedFile {
  name: string;
  mimetype: string;
  size: number;
  mxcUrl: string;
  /** Pixel size of an image, when it could be read. */
  width?: number;
  height?: number;
}

/** The `m.image` or `m.file` message for an uploaded file; the file name is the body. */
export function fileContent(file: UploadedFile): Record<string, unknown> {
  const image = file.mimetype.startsWith("image/");
  const info: Record<string, unknown> = { mimetype: file.mimetype, size: file.size };
  if (image && file.width !== undefined && file.height !== undefined) {
    info.w = file.width;
    info.h = file.height;
  }
  return { msgtype: image ? "m.image" : "m.file", body: file.name, filename: file.name, url: file.mxcUrl, info };
}

/** True for a media URL of the homeserver (`mxc://server/id`); anything else is not fetched. */
export function isMxcUrl(url: unknown): url is string {
  return typeof url === "string" && /^mxc:\/\/[^/\s]+\/[A-Za-z0-9_-]+$/.test(url);
}

/**
 * A plain body without the quote that older clients put before a reply (`> <@a:b> text` lines and a blank line).
 * Only for events that are replies: others may start with a quote on purpose.
 */
export function stripReplyFallback(body: string): string {
  if (!body.startsWith("> ")) return body;
  const lines = body.split("\n");
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith(">")) i++;
  if (i < lines.length && lines[i] === "") i++;
  return lines.slice(i).join("\n");
}

/** A formatted body without the `<mx-reply>` block of a reply (before sanitizing: DOMPurify would keep its text). */
export function stripHtmlReplyFallback(html: string): string {
  return html.replace(/<mx-reply>[\s\S]*?<\/mx-reply>/gi, "");
}

/** The kinds of message the timeline draws differently. */
export type MessageKind = "text" | "emote" | "notice" | "image" | "file";

/** The kind of an `m.room.message` (or `m.sticker`) by its msgtype; unknown types show their body as text. */
export function messageKind(eventType: string, msgtype: unknown): MessageKind {
  if (eventType === "m.sticker") return "image";
  switch (msgtype) {
    case "m.emote":
      return "emote";
    case "m.notice":
      return "notice";
    case "m.image":
      return "image";
    case "m.file":
    case "m.audio":
    case "m.video":
      return "file";
    default:
      return "text";
  }
}

/** A short one-line version of a body for previews and reply quotes. */
export function shortText(body: string, max = 120): string {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Enter sends, Shift+Enter (and Enter while an input method composes) makes a new line. */
export function isSendKey(e: { key: string; shiftKey: boolean; isComposing: boolean; altKey: boolean; ctrlKey: boolean; metaKey: boolean }): boolean {
  return e.key === "Enter" && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey;
}

/** A size for people: "820 KB", "3,4 MB" (decimal separator of the locale). */
export function formatSize(bytes: number, locale: string): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${units[unit]}`;
}
