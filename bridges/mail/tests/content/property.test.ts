// Property test: arbitrary (often broken) messages never make parseMail throw anything but MailParseError,
// and the Matrix HTML built from them never carries scripts, script URLs, event handlers or remote images.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { toMatrixMessage } from "../../src/content/matrix.ts";
import { MailParseError, parseMail, type ParsedMail } from "../../src/content/parse.ts";
import { MATRIX_ALLOWED_TAGS } from "../../src/content/sanitize.ts";

const XSS = [
  "<script>alert(1)</script>",
  "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
  "<<script>script>alert(1)<</script>/script>",
  "<scr<script>ipt>alert(1)</scr</script>ipt>",
  "<img src=x onerror=alert(1)>",
  '<img src="https://t.example/p.gif" width=1 height=1>',
  '<img src="http://evil.example/x.png">',
  '<IMG SRC="jav\tascript:alert(1);">',
  '<img src="cid:img1@x" width="50"><img src="cid:img2@x" onerror="alert(1)">',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="  JaVaScRiPt:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="https://ok.example/" onclick="alert(1)">ok</a>',
  "<svg onload=alert(1)><script>alert(2)</script></svg>",
  '<iframe src="javascript:alert(1)"></iframe>',
  '<div style="background:url(javascript:alert(1))">s</div>',
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  "<!--<img src=x onerror=alert(1)>-->",
  '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">x</button></form>',
  '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
  '<span data-mx-color="red" onmouseover="alert(1)">x</span>',
  '<code class="language-js" onclick=alert(1)>x</code>',
  '<body onload=alert(1)><meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
  '<a href="java\nscript:alert(1)">nl</a>',
  "<p>Liebe Eltern, schöne Grüße!</p>",
];

/** A unicode string as the latin1 string of its UTF-8 bytes (so that Buffer.from(x, "latin1") keeps the bytes). */
const utf8Bytes = (s: string): string => Buffer.from(s, "utf8").toString("latin1");

const randomBytes = fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a).toString("latin1"));
const text = fc.oneof(
  { arbitrary: fc.constantFrom(...XSS).map(utf8Bytes), weight: 4 },
  fc.string({ maxLength: 60 }).map(utf8Bytes),
  fc.string({ unit: "binary", maxLength: 30 }).map(utf8Bytes),
  randomBytes,
);
const content = fc.array(text, { maxLength: 6 }).map((parts) => parts.join(" "));
const charset = fc.constantFrom("utf-8", "UTF-8", "iso-8859-1", "windows-1252", "utf-7", "x-unknown-42", "shift_jis", "koi8-r", "", "base64", "utf-16", '"utf-8"', "iso-2022-jp");
const encodedWord = fc
  .tuple(charset, fc.constantFrom("B", "Q", "b", "x"), fc.uint8Array({ maxLength: 30 }))
  .map(([cs, enc, bytes]) => `=?${cs}?${enc}?${enc.toUpperCase() === "B" ? Buffer.from(bytes).toString("base64") : Buffer.from(bytes).toString("latin1").replace(/[^A-Za-z0-9]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`)}?=`);
const headerValue = fc.oneof(text, encodedWord, fc.constantFrom("<a@b>", "<ROOT@x> <b@c>", "Name <x@y.example>, Gruppe: a@b, c@d;", "Tue, 03 Mar 2026 10:15:00 +0100", "kaputt"));
const headerName = fc.constantFrom("Subject", "From", "To", "Cc", "Reply-To", "Message-ID", "In-Reply-To", "References", "Date", "X-Random", "Content-ID");
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }).map((hs) => hs.map(([n, v]) => `${n}: ${v}`));

const leaf = fc.record({
  kind: fc.constant("leaf" as const),
  type: fc.constantFrom("text/plain", "text/html", "text/html", "image/png", "application/zip", "message/rfc822", "message/delivery-status", "text/rfc822-headers", "application/octet-stream", "bogus"),
  charset,
  cte: fc.constantFrom("7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", ""),
  corrupt: fc.boolean(),
  cid: fc.option(fc.constantFrom("<img1@x>", "<img2@x>", "img3@x", "<>", "<../../x>"), { nil: undefined }),
  disposition: fc.option(fc.constantFrom("inline", "attachment", "form-data", "inline; filename=\"../../etc/passwd\"", "attachment; filename*=utf-8''%0D%0Aa%E2%80%AE.exe"), { nil: undefined }),
  body: content,
});
type Leaf = typeof leaf extends fc.Arbitrary<infer T> ? T : never;
interface Multi {
  kind: "multi";
  subtype: string;
  boundary: string;
  withBoundary: boolean;
  close: boolean;
  preamble: string;
  children: Node[];
}
type Node = Leaf | Multi;

const tree = fc.letrec<{ node: Node; multi: Multi }>((tie) => ({
  node: fc.oneof({ maxDepth: 4, depthSize: "small" }, leaf, tie("multi")),
  multi: fc.record({
    kind: fc.constant("multi" as const),
    subtype: fc.constantFrom("mixed", "alternative", "related", "report; report-type=delivery-status", "digest", "x-weird"),
    boundary: fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,20}$/),
    withBoundary: fc.boolean(),
    close: fc.boolean(),
    preamble: fc.oneof(fc.constant(""), text),
    children: fc.array(tie("node"), { maxLength: 5 }),
  }),
})).node;

function encodeBody(node: Leaf): string {
  if (node.cte === "base64") {
    const b64 = Buffer.from(node.body, "latin1").toString("base64").replace(/.{1,76}/g, "$&\r\n");
    return node.corrupt ? b64.slice(0, Math.floor(b64.length / 2)) + "!!%%" : b64;
  }
  if (node.cte === "quoted-printable" && !node.corrupt) {
    return node.body.replace(/[=\x80-\xff]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return node.body;
}

function render(node: Node): string {
  if (node.kind === "leaf") {
    const lines = [`Content-Type: ${node.type}${node.charset ? `; charset=${node.charset}` : ""}; name="f.bin"`];
    if (node.cte) lines.push(`Content-Transfer-Encoding: ${node.cte}`);
    if (node.cid !== undefined) lines.push(`Content-ID: ${node.cid}`);
    if (node.disposition !== undefined) lines.push(`Content-Disposition: ${node.disposition}`);
    return `${lines.join("\r\n")}\r\n\r\n${encodeBody(node)}`;
  }
  const head = `Content-Type: multipart/${node.subtype}${node.withBoundary ? `; boundary="${node.boundary}"` : ""}`;
  const parts = node.children.map((c) => `--${node.boundary}\r\n${render(c)}\r\n`).join("");
  return `${head}\r\n\r\n${node.preamble}\r\n${parts}${node.close ? `--${node.boundary}--\r\n` : ""}`;
}

// An HTML mail with embedded images (multipart/related) and arbitrary extra parts, so that cid → mxc mapping is exercised.
const related = fc
  .record({
    html: fc.array(text, { minLength: 1, maxLength: 8 }).map((parts) => `<img src="cid:img1@x" width="20">${parts.join(" ")}`),
    charset,
    extra: fc.array(tree, { maxLength: 2 }),
    boundary: fc.stringMatching(/^[A-Za-z0-9]{1,10}$/),
  })
  .map(({ html, charset: cs, extra, boundary }): Node => ({
    kind: "multi",
    subtype: "related",
    boundary: `rel${boundary}`,
    withBoundary: true,
    close: true,
    preamble: "",
    children: [
      { kind: "leaf", type: "text/html", charset: cs, cte: "8bit", corrupt: false, cid: undefined, disposition: undefined, body: html },
      { kind: "leaf", type: "image/png", charset: "", cte: "base64", corrupt: false, cid: "<img1@x>", disposition: "inline", body: "\x89PNG" },
      ...extra,
    ],
  }));

const message = fc.tuple(headers, fc.oneof(tree, related)).map(([hs, root]) => Buffer.from([...hs, render(root)].join("\r\n"), "latin1"));

/** Decodes numeric and the common named entities, so that obfuscated attribute values are checked too. */
function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);?/gi, (_, h: string) => String.fromCodePoint(Math.min(Number.parseInt(h, 16), 0x10ffff)))
    .replace(/&#(\d+);?/g, (_, d: string) => String.fromCodePoint(Math.min(Number.parseInt(d, 10), 0x10ffff)))
    .replace(/&colon;/gi, ":")
    .replace(/&tab;/gi, "\t")
    .replace(/&newline;/gi, "\n")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

const allowedTags = new Set(MATRIX_ALLOWED_TAGS);

/** Asserts the safety invariants of a formatted_body. Text outside tags is escaped (no "<"), so every "<" starts a real tag. */
function assertSafeHtml(html: string): void {
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img[^>]*src="?http/i);
  for (const [tag] of html.matchAll(/<[^>]*>?/g)) {
    const name = /^<\/?([a-zA-Z0-9-]+)/.exec(tag)?.[1]?.toLowerCase();
    assert.ok(name !== undefined && allowedTags.has(name), `unexpected tag ${tag}`);
    const decoded = decodeEntities(tag).replace(/[\s\p{Cc}]+/gu, "");
    assert.doesNotMatch(decoded, /javascript:|vbscript:|data:|livescript:/i, tag);
    assert.doesNotMatch(tag, /[\s/"']on[a-z]+\s*=/i, tag);
    assert.doesNotMatch(tag, /\sstyle\s*=/i, tag);
    if (tag.startsWith("</")) continue;
    if (name === "img") assert.match(tag, /^<img src="mxc:\/\/schulhof\.example\/[A-Za-z0-9]+"/, tag);
    if (name === "a") assert.match(tag, /^<a( href="(https?:|mailto:)[^"]*")?( name="[^"]*")?( target="_blank")?>$/i, tag);
  }
}

function assertCleanMail(mail: ParsedMail): void {
  assert.match(mail.messageId, /^<[^<>\s]+>$/);
  assert.doesNotMatch(mail.subject, /\p{Cc}/u);
  assert.ok([...mail.subject].length <= 998);
  assert.doesNotMatch(mail.text, /[^\P{Cc}\n\t]/u);
  for (const a of mail.attachments) {
    assert.doesNotMatch(a.filename, /[/\\\p{Cc}]/u);
    assert.ok(a.filename.length > 0 && [...a.filename].length <= 200);
    assert.equal(a.size, a.content.length);
  }
}

describe("property: arbitrary messages", () => {
  it("parse without unexpected errors and render only safe Matrix HTML (300 cases)", async () => {
    let parsed = 0;
    await fc.assert(
      fc.asyncProperty(message, fc.constantFrom("pass", "fail", "none", "unknown" as const), fc.constantFrom("de", "en" as const), async (raw, dmarc, lang) => {
        let mail: ParsedMail;
        try {
          mail = await parseMail(raw, { maxParts: 200 });
        } catch (err) {
          assert.ok(err instanceof MailParseError, `unexpected ${String(err)}`);
          return;
        }
        parsed++;
        assertCleanMail(mail);
        const cidMap: Record<string, string> = {};
        mail.attachments.forEach((a, i) => {
          if (a.contentId) cidMap[a.contentId] = `mxc://schulhof.example/img${i}`;
        });
        const { content } = toMatrixMessage(mail, { lang, cidMap, dmarc });
        assert.equal(typeof content.body, "string");
        assertSafeHtml(String(content.formatted_body));
        if (dmarc === "fail") assert.match(String(content.body), /^⚠️ Absender nicht bestätigt/);
        assert.ok(Buffer.byteLength(JSON.stringify(content)) <= 40_000);
      }),
      { numRuns: 300 },
    );
    assert.ok(parsed > 250, `only ${parsed} messages parsed`);
  });

  it("the HTML checks above do reject unsafe output (guards against a vacuous property)", () => {
    for (const bad of [
      "<script>x</script>",
      '<img src="https://t.example/p.gif">',
      '<a href="javascript:alert(1)">x</a>',
      '<a href="jav&#x61;script:alert(1)">x</a>',
      '<p onclick="x()">x</p>',
      "<iframe></iframe>",
      '<span style="x">y</span>',
    ]) {
      assert.throws(() => assertSafeHtml(bad), assert.AssertionError, bad);
    }
    assertSafeHtml('<p><strong>Betreff: &lt;script&gt;</strong></p><a href="https://ok.example/">ok</a><img src="mxc://schulhof.example/img1" />');
  });
});
