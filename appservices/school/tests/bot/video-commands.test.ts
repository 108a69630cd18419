// `!video` moderation words: who is named (Matrix ID or mention), which action, German and English, teachers only.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MatrixEvent } from "@schulhof/core";
import { handleCommand, type CommandPort, type VideoAction } from "../../src/bot/commands.ts";

const ROOM = "!physik:schule.example";
const TEACHER = "@herr.mueller:schule.example";

function message(body: string, mentions?: string[]): MatrixEvent {
  const content: Record<string, unknown> = { msgtype: "m.text", body };
  if (mentions !== undefined) content["m.mentions"] = { user_ids: mentions };
  return { event_id: "$e", room_id: ROOM, type: "m.room.message", sender: TEACHER, origin_server_ts: 1, content };
}

function port(power: number, affected = 1): CommandPort & { calls: { action: VideoAction; userId: string | undefined; actor: string }[]; replies: string[] } {
  const calls: { action: VideoAction; userId: string | undefined; actor: string }[] = [];
  const replies: string[] = [];
  return {
    calls,
    replies,
    defaultLang: "de",
    homework: false,
    bots: ["@schule:schule.example"],
    async reply(_r, _e, text) {
      replies.push(text);
    },
    personOf: async () => null,
    roomsOf: async () => [],
    video: {
      read: async () => ({ power, settings: {} }),
      write: async () => undefined,
      async moderate(_roomId, actor, action, userId) {
        calls.push({ action, userId, actor });
        return { affected };
      },
    },
  };
}

describe("!video moderation commands", () => {
  const cases: [string, string[] | undefined, VideoAction, string | undefined][] = [
    ["!video stumm @lena:schule.example", undefined, "mute", "@lena:schule.example"],
    ["!video stumm alle", undefined, "mute_all", undefined],
    ["!video stumm", undefined, "mute_all", undefined],
    ["!video mute all", undefined, "mute_all", undefined],
    ["!video kamera @lena:schule.example.", undefined, "camera_off", "@lena:schule.example"],
    ["!video raus Lena", ["@schule:schule.example", "@lena:schule.example"], "remove", "@lena:schule.example"],
    ["!video remove @jonas:schule.example", undefined, "remove", "@jonas:schule.example"],
    ["!video einlassen @lena:schule.example", undefined, "admit", "@lena:schule.example"],
    ["!video einlassen alle", undefined, "admit_all", undefined],
    ["!video ende", undefined, "end", undefined],
    ["!video end", undefined, "end", undefined],
  ];
  for (const [body, mentions, action, target] of cases) {
    it(`${body} → ${action}${target === undefined ? "" : ` ${target}`}`, async () => {
      const p = port(50);
      assert.equal(await handleCommand(message(body, mentions), p), true);
      assert.deepEqual(p.calls, [{ action, userId: target, actor: TEACHER }]);
    });
  }

  it("answers in English for English words", async () => {
    const p = port(50);
    await handleCommand(message("!video mute @lena:schule.example"), p);
    assert.match(p.replies[0] ?? "", /is muted/);
  });

  it("refuses students without asking the video service", async () => {
    const p = port(0);
    await handleCommand(message("!video ende"), p);
    assert.deepEqual(p.calls, []);
    assert.match(p.replies[0] ?? "", /nur Lehrkräfte/);
  });

  it("explains the usage when a command needs a person and names none", async () => {
    const p = port(50);
    await handleCommand(message("!video kamera"), p);
    assert.deepEqual(p.calls, []);
    assert.match(p.replies[0] ?? "", /So geht's/);
  });

  it("says so when nobody is in the call", async () => {
    const p = port(50, 0);
    await handleCommand(message("!video stumm alle"), p);
    assert.match(p.replies[0] ?? "", /niemand/);
  });

  it("still changes the room's settings with warteraum/bildschirm", async () => {
    const p = port(50);
    let written: Record<string, unknown> | null = null;
    p.video = { ...p.video!, write: async (_r, s) => void (written = s) };
    await handleCommand(message("!video warteraum an"), p);
    assert.deepEqual(written, { lobby: true });
    assert.deepEqual(p.calls, []);
  });
});
