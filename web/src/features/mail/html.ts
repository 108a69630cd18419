// Mail HTML for the page: cleaned by DOMPurify (lib/sanitize.ts), the bridge's header lines removed, quotes folded away.
import { sanitizeHtml } from "../../lib/sanitize.ts";

const HEADER_PARAGRAPH = /^\s*((Betreff|Subject): |⚠️)/;
/** The paragraph after the subject that names the recipients of a mail to several people. */
const RECIPIENTS_PARAGRAPH = /^\s*(An|To|Cc): /;

/**
 * The mail's HTML, safe for `{@html}`: first sanitised, then restructured with DOM methods only. The bridge's first
 * paragraphs (DMARC warning, "Betreff: …" in bold, then "An: …"/"Cc: …") are dropped because the page shows them itself; every outermost
 * `<blockquote>` goes into a `<details>` whose summary reads `quotedLabel` (set as text).
 */
export function mailHtml(untrusted: string, quotedLabel: string): string {
  const template = document.createElement("template");
  template.innerHTML = sanitizeHtml(untrusted);
  const root = template.content;
  let subjectSeen = false;
  for (let i = 0; i < 3; i++) {
    const first = root.firstElementChild;
    if (first?.tagName !== "P") break;
    if (first.children.length === 1 && first.firstElementChild?.tagName === "STRONG" && HEADER_PARAGRAPH.test(first.textContent ?? "")) {
      subjectSeen ||= /^\s*(Betreff|Subject): /.test(first.textContent ?? "");
      first.remove();
    } else if (subjectSeen && RECIPIENTS_PARAGRAPH.test(first.textContent ?? "")) {
      first.remove();
      break;
    } else break;
  }
  for (const quote of [...root.querySelectorAll("blockquote")]) {
    if (quote.parentElement?.closest("blockquote") !== null && quote.parentElement?.closest("blockquote") !== undefined) continue;
    const details = document.createElement("details");
    details.className = "mail-quote";
    const summary = document.createElement("summary");
    summary.textContent = quotedLabel;
    quote.replaceWith(details);
    details.append(summary, quote);
  }
  return template.innerHTML;
}
