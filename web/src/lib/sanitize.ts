// The only way HTML from others reaches the page: DOMPurify with a small allowlist. Everything else is rendered as text.
import DOMPurify from "dompurify";

/** Tags that formatted Matrix messages (`org.matrix.custom.html`) may keep. */
const ALLOWED_TAGS = ["a", "b", "strong", "i", "em", "u", "s", "del", "code", "pre", "p", "br", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "span", "sub", "sup", "hr", "table", "thead", "tbody", "tr", "th", "td"];

/**
 * Cleans untrusted HTML for `{@html}`. Call it at the place of rendering, never store its result as trusted.
 * Links open in a new tab without an opener; scripts, styles, forms, images and event handlers are removed.
 */
export function sanitizeHtml(untrusted: string): string {
  const clean = DOMPurify.sanitize(untrusted, { ALLOWED_TAGS, ALLOWED_ATTR: ["href", "title"], ALLOW_DATA_ATTR: false, RETURN_TRUSTED_TYPE: false });
  const template = document.createElement("template");
  template.innerHTML = clean;
  for (const a of template.content.querySelectorAll("a")) {
    a.setAttribute("target", "_blank");
    a.setAttribute("rel", "noopener noreferrer nofollow");
  }
  return template.innerHTML;
}
