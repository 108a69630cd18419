/**
 * HTML sanitising for mail bodies with sanitize-html: reduces untrusted mail HTML to the subset the
 * Matrix client-server spec allows in `org.matrix.custom.html`, removes everything executable and
 * every image that is not an inline `cid:` attachment already uploaded as `mxc://` (so remote
 * images, i.e. tracking pixels, never load). Also a plain-text fallback for HTML-only mails.
 */
import sanitizeHtml from "sanitize-html";
import { bilingual, escapeHtml } from "./util.ts";

/** Options for `toMatrixHtml`. */
export interface MatrixHtmlOptions {
  /** Content-ID (without angle brackets) → `mxc://` URL of the uploaded inline part. */
  cidMap?: Record<string, string>;
  /** Longest output in characters (default 32 KiB); longer output is cut cleanly with a note. */
  maxLength?: number;
}

/** Default output cap; a Matrix event must stay below 64 KiB in total, body and metadata included. */
export const DEFAULT_MAX_HTML_LENGTH = 32 * 1024;
/** Input beyond this many characters is ignored before sanitising (bounds the CPU spent). */
const MAX_INPUT_LENGTH = 2_000_000;
/** Matrix clients are asked to limit nesting to 100 levels. */
const NESTING_LIMIT = 100;

/** The tag subset of the Matrix spec for `org.matrix.custom.html`. */
export const MATRIX_ALLOWED_TAGS: readonly string[] = Object.freeze([
  "font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol", "sup", "sub",
  "li", "b", "i", "u", "strong", "em", "strike", "code", "hr", "br", "div", "table", "thead", "tbody",
  "tr", "th", "td", "caption", "pre", "span", "img", "details", "summary",
]);

const COLOR_ATTRS = ["data-mx-bg-color", "data-mx-color", "color"];
const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ["href", "name", "target"],
  img: ["width", "height", "alt", "title", "src"],
  ol: ["start"],
  span: COLOR_ATTRS,
  font: COLOR_ATTRS,
};
/** Elements dropped together with their text content. */
const NON_TEXT_TAGS = [
  "script", "style", "textarea", "option", "noscript", "title", "head", "iframe", "frame", "frameset",
  "object", "embed", "applet", "svg", "math", "template", "select", "xmp", "noembed", "noframes", "button",
];
const LINK_SCHEMES = ["http", "https", "mailto"];
const ABSOLUTE_LINK = /^(?:https?:\/\/[^/?#\s]|mailto:)/i;
const MXC_URL = /^mxc:\/\/[A-Za-z0-9.:_-]+\/[A-Za-z0-9._-]+$/;
const COLOR_VALUE = /^(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|[a-zA-Z]{1,20})$/;

/** The `mxc://` URL for an image `src`: a `cid:` reference found in the map, or an already mapped mxc URL. */
function resolveImageSource(src: string | undefined, cidMap: Record<string, string>, mapped: Set<string>): string | null {
  if (!src) return null;
  const value = src.trim();
  if (mapped.has(value)) return value;
  if (!/^cid:/i.test(value)) return null;
  let cid = value.slice(4).trim();
  try {
    cid = decodeURIComponent(cid); // RFC 2392: cid URLs are URL-encoded
  } catch {
    // keep as is
  }
  cid = cid.replace(/^<|>$/g, "");
  const hit = Object.hasOwn(cidMap, cid) ? cidMap[cid] : Object.entries(cidMap).find(([k]) => k.replace(/^<|>$/g, "").toLowerCase() === cid.toLowerCase())?.[1];
  return typeof hit === "string" && MXC_URL.test(hit) ? hit : null;
}

function dimension(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? n : null;
}

function options(cidMap: Record<string, string>): sanitizeHtml.IOptions {
  const mapped = new Set(Object.values(cidMap).filter((v) => typeof v === "string" && MXC_URL.test(v)));
  const colors = (tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => {
    const kept: sanitizeHtml.Attributes = {};
    for (const name of COLOR_ATTRS) {
      const v = attribs[name]?.trim();
      if (v && COLOR_VALUE.test(v)) kept[name] = v;
    }
    return { tagName, attribs: kept };
  };
  return {
    allowedTags: [...MATRIX_ALLOWED_TAGS],
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedClasses: { code: [/^language-[A-Za-z0-9_+#.-]{1,40}$/] },
    allowedSchemes: LINK_SCHEMES,
    allowedSchemesByTag: { a: LINK_SCHEMES, img: ["mxc"] },
    allowedSchemesAppliedToAttributes: ["href", "src", "cite", "action", "formaction", "background", "poster"],
    allowProtocolRelative: false,
    allowVulnerableTags: false,
    disallowedTagsMode: "discard",
    enforceHtmlBoundary: false,
    nonTextTags: NON_TEXT_TAGS,
    nestingLimit: NESTING_LIMIT,
    parseStyleAttributes: false,
    transformTags: {
      a: (tagName, attribs) => {
        const kept: sanitizeHtml.Attributes = {};
        const href = attribs.href?.trim();
        // Absolute http(s)/mailto only: relative links would resolve against the Matrix client's own URL.
        if (href !== undefined && ABSOLUTE_LINK.test(href) && !/[\p{Cc}\s]/u.test(href)) kept.href = href;
        if (attribs.name !== undefined) kept.name = attribs.name;
        if (attribs.target === "_blank") kept.target = "_blank";
        return { tagName, attribs: kept };
      },
      img: (_tagName, attribs) => {
        const src = resolveImageSource(attribs.src, cidMap, mapped);
        const width = dimension(attribs.width);
        const height = dimension(attribs.height);
        // Only uploaded inline parts; no remote images, no 1x1 (or 2x2) tracking pixels.
        if (src === null || (width !== null && width <= 2) || (height !== null && height <= 2)) {
          return { tagName: "img", attribs: {} }; // removed by exclusiveFilter below
        }
        const kept: sanitizeHtml.Attributes = { src };
        if (width !== null && width > 0) kept.width = String(Math.min(width, 4096));
        if (height !== null && height > 0) kept.height = String(Math.min(height, 4096));
        if (attribs.alt !== undefined) kept.alt = attribs.alt;
        if (attribs.title !== undefined) kept.title = attribs.title;
        return { tagName: "img", attribs: kept };
      },
      span: colors,
      font: colors,
      ol: (tagName, attribs) => {
        const start = dimension(attribs.start);
        const kept: sanitizeHtml.Attributes = {};
        if (start !== null) kept.start = String(start);
        return { tagName, attribs: kept };
      },
    },
    // Safety net: an <img> that is left without an mxc:// source is removed.
    exclusiveFilter: (frame) => frame.tag === "img" && !MXC_URL.test(frame.attribs.src ?? ""),
  };
}

const TRUNCATION_NOTE = `<p><em>[…] ${escapeHtml(bilingual({ de: "Nachricht gekürzt", en: "message truncated" }))}</em></p>`;

/** Cuts sanitised HTML to `max` characters: never inside a tag or entity, open tags closed, note appended. */
function truncateHtml(html: string, max: number, opts: sanitizeHtml.IOptions): string {
  let budget = max - TRUNCATION_NOTE.length;
  for (let attempt = 0; attempt < 8 && budget > 0; attempt++) {
    let cut = html.slice(0, budget);
    const lt = cut.lastIndexOf("<");
    if (lt > cut.lastIndexOf(">")) cut = cut.slice(0, lt);
    const amp = cut.lastIndexOf("&");
    if (amp > cut.lastIndexOf(";")) cut = cut.slice(0, amp);
    const closed = sanitizeHtml(cut, opts); // re-parsing closes every open element
    if (closed.length + TRUNCATION_NOTE.length <= max) return closed + TRUNCATION_NOTE;
    budget -= closed.length + TRUNCATION_NOTE.length - max + 32;
  }
  return TRUNCATION_NOTE.length <= max ? TRUNCATION_NOTE : "";
}

/**
 * Sanitises untrusted mail HTML for `formatted_body` (`org.matrix.custom.html`): only the Matrix
 * tag/attribute subset, links only http/https/mailto, images only `cid:` references resolvable via
 * `cidMap` (rewritten to mxc://), no scripts/styles/iframes/forms/event handlers. The output is
 * capped at `maxLength` characters (default 32 KiB) and then cut cleanly with a bilingual note.
 */
export function toMatrixHtml(html: string, opts: MatrixHtmlOptions = {}): string {
  const cidMap = opts.cidMap ?? {};
  const max = Math.max(0, Math.floor(opts.maxLength ?? DEFAULT_MAX_HTML_LENGTH));
  const config = options(cidMap);
  const input = typeof html === "string" ? html.slice(0, MAX_INPUT_LENGTH) : "";
  const clean = sanitizeHtml(input, config).trim();
  return clean.length <= max ? clean : truncateHtml(clean, max, config);
}

const BLOCK_END = /<\/(p|div|h[1-6]|tr|li|blockquote|pre|table|ul|ol|details|summary|caption)>|<br \/>|<hr \/>/g;

/** Decodes the few entities sanitize-html emits. */
function decodeBasicEntities(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&#x0*27;/gi, "'")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&");
}

/**
 * Converts untrusted HTML to readable plain text (fallback for HTML-only mails when mailparser gave
 * no text): block elements become line breaks, list items get "- ", cells are separated by tabs,
 * scripts/styles and their content are dropped.
 */
export function htmlToText(html: string): string {
  const input = typeof html === "string" ? html.slice(0, MAX_INPUT_LENGTH) : "";
  const reduced = sanitizeHtml(input, {
    allowedTags: ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "li", "blockquote", "pre", "table", "ul", "ol", "br", "hr", "details", "summary", "caption"],
    allowedAttributes: {},
    nonTextTags: NON_TEXT_TAGS,
    enforceHtmlBoundary: false,
    textFilter: (text, tagName) => (tagName === "pre" ? text : text.replace(/\s+/g, " ")),
  });
  const text = reduced
    .replace(BLOCK_END, "\n")
    .replace(/<li>/g, "- ")
    .replace(/<\/t[dh]>/g, "\t")
    .replace(/<[^>]*>/g, "");
  return decodeBasicEntities(text)
    .split("\n")
    .map((line) => line.replace(/[ \t]+$/, "").replace(/^ +/, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
