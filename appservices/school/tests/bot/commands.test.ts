// Tests for the school bot's commands: parseCommand and handleCommand against a fake CommandPort.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MatrixEvent } from "@schulhof/core";
import { handleCommand, parseCommand, type CommandPort } from "../../src/bot/commands.ts";
import type { Lang } from "../../src/bot/texts.ts";

const ROOM = "!klassenchat:schule.example";
const ME = "@anna.a:schule.example";

function message(body: unknown, eventId = "$ev1"): MatrixEvent {
  return { event_id: eventId, room_id: ROOM, type: "m.room.message", sender: ME, origin_server_ts: 1, content: { msgtype: "m.text", body } };
}

interface Reply {
  roomId: string;
  replyTo: string;
  text: string;
  html: string;
}

type Person = { role: string; className: string | null; courses: string[] };

function fakePort(opts: { person?: Person | null; rooms?: { name: string; roomId: string }[]; defaultLang?: Lang; homework?: boolean } = {}): CommandPort & {
  replies: Reply[];
  asked: string[];
} {
  const replies: Reply[] = [];
  const asked: string[] = [];
  return {
    replies,
    asked,
    defaultLang: opts.defaultLang ?? "de",
    homework: opts.homework ?? false,
    async reply(roomId, replyTo, text, html) {
      replies.push({ roomId, replyTo, text, html });
    },
    async personOf(userId) {
      asked.push(userId);
      return opts.person ?? null;
    },
    async roomsOf(userId) {
      asked.push(userId);
      return opts.rooms ?? [];
    },
  };
}

async function run(body: string, port = fakePort()): Promise<{ handled: boolean; reply: Reply | undefined; port: ReturnType<typeof fakePort> }> {
  const handled = await handleCommand(message(body, "$frage"), port);
  assert.ok(port.replies.length <= 1, "at most one reply");
  return { handled, reply: port.replies[0], port };
}

describe("parseCommand", () => {
  it("parses a bare command", () => {
    assert.deepEqual(parseCommand("!hilfe"), { name: "hilfe", args: "" });
  });

  it("trims, lower-cases the name and splits off the arguments", () => {
    assert.deepEqual(parseCommand("  !Help  args"), { name: "help", args: "args" });
    assert.deepEqual(parseCommand("!RÄUME bitte alle  "), { name: "räume", args: "bitte alle" });
    assert.deepEqual(parseCommand("!ich\nzweite Zeile"), { name: "ich", args: "zweite Zeile" });
  });

  it("answers null for anything that is not a command", () => {
    for (const body of ["not a command", "", "   ", "!", "  !  ", "! hilfe", "hallo !hilfe", "?hilfe"]) {
      assert.equal(parseCommand(body), null, JSON.stringify(body));
    }
  });

  it("takes any non-space name, also punctuation", () => {
    assert.deepEqual(parseCommand("!!"), { name: "!", args: "" });
    assert.deepEqual(parseCommand("!a-b c"), { name: "a-b", args: "c" });
  });
});

describe("handleCommand: help", () => {
  it("answers !hilfe in German with the command list, as a reply to the event", async () => {
    const { handled, reply } = await run("!hilfe");
    assert.equal(handled, true);
    assert.deepEqual(reply, {
      roomId: ROOM,
      replyTo: "$frage",
      text: [
        "Befehle des Schulhof-Bots (englische Namen in Klammern):",
        "!hilfe (!help): zeigt diese Liste",
        "!ich (!whoami): zeigt deine Rolle, Klasse und Kurse",
        "!räume (!rooms): listet die Räume deiner Klasse und Kurse",
      ].join("\n"),
      html:
        "<p>Befehle des Schulhof-Bots (englische Namen in Klammern):</p><ul>" +
        "<li><code>!hilfe (!help)</code>: zeigt diese Liste</li>" +
        "<li><code>!ich (!whoami)</code>: zeigt deine Rolle, Klasse und Kurse</li>" +
        "<li><code>!räume (!rooms)</code>: listet die Räume deiner Klasse und Kurse</li></ul>",
    });
  });

  it("answers !help in English whatever the default language", async () => {
    const { handled, reply } = await run("!HELP", fakePort({ defaultLang: "de" }));
    assert.equal(handled, true);
    assert.equal(
      reply?.text,
      [
        "Commands of the Schulhof bot (German names in brackets):",
        "!help (!hilfe): shows this list",
        "!whoami (!ich): shows your role, class and courses",
        "!rooms (!räume): lists the rooms of your class and courses",
      ].join("\n"),
    );
    assert.match(reply?.html ?? "", /^<p>Commands of the Schulhof bot/);
    assert.match(reply?.html ?? "", /<li><code>!rooms \(!räume\)<\/code>: lists the rooms of your class and courses<\/li><\/ul>$/);
  });
});

describe("handleCommand: whoami", () => {
  it("tells a known student their role, class and courses in German", async () => {
    const port = fakePort({ person: { role: "student", className: "7a", courses: ["Mathematik 7a", "Religion 7"] } });
    const { handled, reply } = await run("!ich", port);
    assert.equal(handled, true);
    assert.deepEqual(port.asked, [ME], "asks about the sender");
    assert.equal(reply?.text, "Du bist Schüler/in in Klasse 7a. Kurse: Mathematik 7a, Religion 7.");
    assert.equal(reply?.html, "Du bist Schüler/in in Klasse 7a. Kurse: Mathematik 7a, Religion 7.");
    assert.equal(reply?.replyTo, "$frage");
  });

  it("answers !whoami in English, without class and courses where there are none", async () => {
    const { reply } = await run("!whoami", fakePort({ person: { role: "admin", className: null, courses: [] } }));
    assert.equal(reply?.text, "You are a school admin. Courses: none.");
    const teacher = await run("!ich", fakePort({ person: { role: "teacher", className: null, courses: [] } }));
    assert.equal(teacher.reply?.text, "Du bist Lehrkraft. Kurse: keine.");
  });

  it("says so when the sender is not in the roster", async () => {
    const de = await run("!ich");
    assert.equal(de.handled, true);
    assert.equal(de.reply?.text, "Dich kenne ich nicht aus der Schülerliste.");
    const en = await run("!whoami");
    assert.equal(en.reply?.text, "You are not in the school's roster.");
    assert.equal(en.reply?.html, "You are not in the school&#39;s roster.");
  });

  it("escapes course names in html", async () => {
    const { reply } = await run("!ich", fakePort({ person: { role: "student", className: "7a", courses: ["<b>AG</b> & Co"] } }));
    assert.equal(reply?.text, "Du bist Schüler/in in Klasse 7a. Kurse: <b>AG</b> & Co.");
    assert.equal(reply?.html, "Du bist Schüler/in in Klasse 7a. Kurse: &#60;b&#62;AG&#60;/b&#62; &#38; Co.");
  });
});

describe("handleCommand: rooms", () => {
  const rooms = [
    { name: "7a Klassenchat", roomId: "!chat:schule.example" },
    { name: "Mathematik 7a", roomId: "!mathe:schule.example" },
    { name: "Klausurplan 7a", roomId: "!exams:schule.example" },
  ];

  for (const [command, title] of [["!räume", "Deine Räume:"], ["!raeume", "Deine Räume:"], ["!rooms", "Your rooms:"]] as const) {
    it(`lists the rooms in the given order for ${command}`, async () => {
      const port = fakePort({ rooms });
      const { handled, reply } = await run(command, port);
      assert.equal(handled, true);
      assert.deepEqual(port.asked, [ME]);
      assert.equal(reply?.replyTo, "$frage");
      assert.equal(reply?.text, `${title}\n• 7a Klassenchat\n• Mathematik 7a\n• Klausurplan 7a`);
      assert.equal(
        reply?.html,
        `<p>${title}</p><ul>` +
          '<li><a href="https://matrix.to/#/!chat%3Aschule.example">7a Klassenchat</a></li>' +
          '<li><a href="https://matrix.to/#/!mathe%3Aschule.example">Mathematik 7a</a></li>' +
          '<li><a href="https://matrix.to/#/!exams%3Aschule.example">Klausurplan 7a</a></li></ul>',
      );
    });
  }

  it("says when there are no rooms", async () => {
    const de = await run("!räume");
    assert.equal(de.reply?.text, "Du bist noch in keinem Schulraum.");
    assert.equal(de.reply?.html, "Du bist noch in keinem Schulraum.");
    const en = await run("!rooms");
    assert.equal(en.reply?.text, "You are not in any school room yet.");
  });

  it("escapes room names in html but not in the plain text", async () => {
    const { reply } = await run("!rooms", fakePort({ rooms: [{ name: "<script>alert(1)</script>", roomId: "!x:s" }] }));
    assert.equal(reply?.text, "Your rooms:\n• <script>alert(1)</script>");
    assert.ok(!(reply?.html ?? "").includes("<script>"), reply?.html);
    assert.ok((reply?.html ?? "").includes("&#60;script&#62;alert(1)&#60;/script&#62;"), reply?.html);
  });
});

describe("handleCommand: not ours", () => {
  it("stays silent for commands of other bots", async () => {
    for (const body of ["!aufgaben", "!termine morgen", "!hilfen"]) {
      const port = fakePort({ person: { role: "student", className: "7a", courses: [] } });
      const { handled } = await run(body, port);
      assert.equal(handled, false, body);
      assert.deepEqual(port.replies, [], body);
      assert.deepEqual(port.asked, [], body);
    }
  });

  it("ignores plain messages and bodies that are not strings", async () => {
    assert.equal((await run("hallo zusammen")).handled, false);
    const port = fakePort();
    assert.equal(await handleCommand(message(42), port), false);
    assert.equal(await handleCommand(message(undefined), port), false);
    assert.deepEqual(port.replies, []);
  });
});

describe("!hilfe with homework", () => {
  it("also lists the homework commands when the homework appservice runs", async () => {
    const port = fakePort({ homework: true });
    await handleCommand({ event_id: "$h", room_id: "!r:x", type: "m.room.message", sender: "@s:x", origin_server_ts: 0, content: { body: "!hilfe" } }, port);
    assert.match(port.replies[0]?.text ?? "", /!abgeben \[Nr\] \(!submit\)/);
    const without = fakePort();
    await handleCommand({ event_id: "$h2", room_id: "!r:x", type: "m.room.message", sender: "@s:x", origin_server_ts: 0, content: { body: "!hilfe" } }, without);
    assert.doesNotMatch(without.replies[0]?.text ?? "", /!abgeben/);
  });
});
