// Message contents bots send: notices, optionally with HTML, as a reply, with mentions.

/** An `m.notice` content; `replyTo` makes it a reply, `mentions` pings those users. */
export function noticeContent(text: string, opts: { html?: string; replyTo?: string; mentions?: string[] } = {}): Record<string, unknown> {
  return {
    msgtype: "m.notice",
    body: text,
    ...(opts.html === undefined ? {} : { format: "org.matrix.custom.html", formatted_body: opts.html }),
    ...(opts.mentions === undefined ? {} : { "m.mentions": { user_ids: opts.mentions } }),
    ...(opts.replyTo === undefined ? {} : { "m.relates_to": { "m.in_reply_to": { event_id: opts.replyTo } } }),
  };
}
