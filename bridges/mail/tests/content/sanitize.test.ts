// toMatrixHtml / htmlToText: Matrix HTML subset, no executable content, only cid images (→ mxc), length cap.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import sanitizeHtml from "sanitize-html";
import { htmlToText, toMatrixHtml } from "../../src/content/sanitize.ts";

const cidMap = { "logo@schule.example": "mxc://schulhof.example/AbC123" };

describe("toMatrixHtml: executable content", () => {
  it("removes scripts, styles, iframes, forms and event handlers, keeping the text", () => {
    const out = toMatrixHtml(
      `<html><head><title>Titel</title><style>p{color:red}</style><script>alert(1)</script></head>
       <body onload="x()"><p onclick="steal()" style="background:url(https://t.example/b)">Hallo <b>Welt</b></p>
       <img src=x onerror=alert(1)><iframe src="https://evil.example">fallback</iframe>
       <form action="https://evil.example"><input name=pw><button>Senden</button></form>
       <object data="x.swf"></object><embed src="x.swf"><svg onload=alert(1)><script>alert(2)</script></svg>
       <noscript>ns</noscript><link rel=stylesheet href="https://t.example/s.css"><meta http-equiv="refresh" content="0;url=https://evil.example">
       </body></html>`,
    );
    assert.doesNotMatch(out, /<script|alert|<style|color:red|<iframe|fallback|<form|<input|<button|Senden|<object|<embed|<svg|<link|<meta|<title|Titel|\son\w+=|style=/i);
    assert.match(out, /<p>Hallo <b>Welt<\/b><\/p>/);
  });

  it("keeps only absolute http, https and mailto links", () => {
    const out = toMatrixHtml(
      [
        '<a href="javascript:alert(1)">a</a>',
        '<a href="JaVaScRiPt&#58;alert(1)">b</a>',
        '<a href="java&#x09;script:alert(1)">c</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">d</a>',
        '<a href="vbscript:msgbox(1)">e</a>',
        '<a href="//evil.example/x">f</a>',
        '<a href="file:///etc/passwd">g</a>',
        '<a href="#/room/!abc:schulhof.example">rel1</a><a href="/logout">rel2</a><a href="java<br/>script:alert(1)">rel3</a><a href="https://a.example/ b">ws</a>',
        '<a href=" https://schule.example/plan " target="_self" rel="opener">h</a>',
        '<a href="mailto:sekretariat@schule.example" target="_blank">i</a>',
        '<a href="http://schule.example/?a=1&amp;b=2">j</a>',
      ].join(""),
    );
    assert.doesNotMatch(out, /javascript|vbscript|data:|file:|evil|rel=/i);
    assert.match(out, /<a>a<\/a><a>b<\/a><a>c<\/a><a>d<\/a><a>e<\/a><a>f<\/a><a>g<\/a><a>rel1<\/a><a>rel2<\/a><a>rel3<\/a><a>ws<\/a>/);
    assert.match(out, /<a href="https:\/\/schule\.example\/plan">h<\/a>/);
    assert.match(out, /<a href="mailto:sekretariat@schule\.example" target="_blank">i<\/a>/);
    assert.match(out, /<a href="http:\/\/schule\.example\/\?a=1&amp;b=2">j<\/a>/);
  });
});

describe("toMatrixHtml: images", () => {
  it("removes remote images and tracking pixels, maps cid images to mxc", () => {
    const out = toMatrixHtml(
      [
        '<img src="https://t.example/p.gif" width=1 height=1>',
        '<img src="https://schule.example/foto.jpg" width="400" alt="Foto">',
        '<img src="http://t.example/x.png">',
        '<img src="data:image/png;base64,iVBORw0KGgo=">',
        '<img src="cid:logo@schule.example" width="120" height="40" alt="Logo" title="Schullogo" onerror="x()" class="c">',
        '<img src="cid:unbekannt@schule.example" width="100">',
        '<img src="cid:logo@schule.example" width="1" height="1">',
        '<img src="CID:%3Clogo@schule.example%3E" alt="encoded">',
      ].join(""),
      { cidMap },
    );
    assert.equal(
      out,
      '<img src="mxc://schulhof.example/AbC123" width="120" height="40" alt="Logo" title="Schullogo" />' +
        '<img src="mxc://schulhof.example/AbC123" alt="encoded" />',
    );
  });

  it("ignores cidMap values that are not mxc URLs", () => {
    const out = toMatrixHtml('<img src="cid:a@b"><img src="cid:c@d">', { cidMap: { "a@b": "https://evil.example/x.png", "c@d": "javascript:alert(1)" } });
    assert.equal(out, "");
  });
});

describe("toMatrixHtml: allowed subset", () => {
  it("keeps the Matrix tags and filters attributes", () => {
    const out = toMatrixHtml(
      [
        '<h1 id="x">Titel</h1><blockquote>Zitat</blockquote><del>weg</del><strike>alt</strike>',
        '<code class="language-ts evil">let x</code><pre><code class="x">pre</code></pre>',
        '<span data-mx-color="#ff0000" data-mx-bg-color="url(x)" style="x">rot</span>',
        '<font color="blue" face="Arial">blau</font><font color="red;background:url(x)">f</font>',
        '<ol start="3" type="a"><li>drei</li></ol><ul><li>x</li></ul>',
        '<table border=1><caption>T</caption><thead><tr><th>K</th></tr></thead><tbody><tr><td colspan=2>Z</td></tr></tbody></table>',
        "<details><summary>Mehr</summary>Inhalt</details><sup>2</sup><sub>i</sub><hr><br>",
        "<center>zentriert</center><marquee>lauf</marquee><u>u</u><s>s</s>",
      ].join(""),
    );
    assert.equal(
      out,
      [
        "<h1>Titel</h1><blockquote>Zitat</blockquote><del>weg</del><strike>alt</strike>",
        '<code class="language-ts">let x</code><pre><code>pre</code></pre>',
        '<span data-mx-color="#ff0000">rot</span>',
        '<font color="blue">blau</font><font>f</font>',
        '<ol start="3"><li>drei</li></ol><ul><li>x</li></ul>',
        "<table><caption>T</caption><thead><tr><th>K</th></tr></thead><tbody><tr><td>Z</td></tr></tbody></table>",
        "<details><summary>Mehr</summary>Inhalt</details><sup>2</sup><sub>i</sub><hr /><br />",
        "zentriertlauf<u>u</u>s",
      ].join(""),
    );
  });

  it("limits nesting depth", () => {
    const out = toMatrixHtml(`${"<div>".repeat(500)}tief${"</div>".repeat(500)}`);
    assert.match(out, /tief/);
    assert.ok((out.match(/<div>/g) ?? []).length <= 100);
  });

  it("caps the output length and closes open tags", () => {
    const input = `<div><p>${"Lorem <b>ipsum</b> &amp; <i>dolor</i> sit amet. ".repeat(5000)}</p></div>`;
    const out = toMatrixHtml(input, { maxLength: 2000 });
    assert.ok(out.length <= 2000, `length ${out.length}`);
    assert.ok(out.length > 1500, `length ${out.length}`);
    assert.match(out, /Nachricht gekürzt \/ message truncated<\/em><\/p>$/);
    // well-formed: sanitising again changes nothing
    assert.equal(sanitizeHtml(out, { allowedTags: false, allowedAttributes: false, allowVulnerableTags: true }), out);
    assert.equal((out.match(/<b>/g) ?? []).length, (out.match(/<\/b>/g) ?? []).length);
    const dflt = toMatrixHtml(input);
    assert.ok(dflt.length <= 32 * 1024 && dflt.length > 30 * 1024);
  });
});

describe("htmlToText", () => {
  it("turns blocks into lines and drops scripts", () => {
    const text = htmlToText(
      "<style>p{}</style><script>alert(1)</script><h1>Elternbrief</h1><p>Liebe   Eltern,\n  bitte &amp; danke &lt;3</p><ul><li>eins</li><li>zwei</li></ul><table><tr><td>A</td><td>B</td></tr></table>",
    );
    assert.equal(text, "Elternbrief\nLiebe Eltern, bitte & danke <3\n- eins\n- zwei\n\nA\tB");
  });
});
