// Tests for schoolAccepts: which events the school appservice keeps (bot commands, invites of its bot).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MatrixEvent } from "@schulhof/core";
import { schoolAccepts } from "../../src/app.ts";

const BOT = "@schule:schule.example";
const USER = "@anna.a:schule.example";

function event(over: Partial<MatrixEvent>): MatrixEvent {
  return { event_id: "$e", room_id: "!r:schule.example", type: "m.room.message", sender: USER, origin_server_ts: 1, content: {}, ...over };
}

const msg = (body: unknown, sender = USER): MatrixEvent => event({ sender, content: { msgtype: "m.text", body } });
const member = (stateKey: string, membership: string, sender = USER): MatrixEvent =>
  event({ type: "m.room.member", state_key: stateKey, sender, content: { membership } });

describe("schoolAccepts", () => {
  it("accepts bot commands, also those of other bots", () => {
    for (const body of ["!hilfe", "  !Help  ", "!räume", "!aufgaben"]) assert.equal(schoolAccepts(msg(body), BOT), true, body);
  });

  it("accepts invites of its bot", () => {
    assert.equal(schoolAccepts(member(BOT, "invite"), BOT), true);
  });

  it("refuses plain chat messages and bodies that are not strings", () => {
    for (const body of ["Hallo zusammen", "", "!", "wer hat !hilfe geschrieben?", 7, undefined]) {
      assert.equal(schoolAccepts(msg(body), BOT), false, String(body));
    }
  });

  it("refuses the bot's own messages and invites", () => {
    assert.equal(schoolAccepts(msg("!hilfe", BOT), BOT), false);
    assert.equal(schoolAccepts(member(BOT, "invite", BOT), BOT), false);
  });

  it("refuses invites of other users and other memberships of the bot", () => {
    assert.equal(schoolAccepts(member(USER, "invite", "@lehrer:schule.example"), BOT), false);
    assert.equal(schoolAccepts(member("@schule:other.example", "invite"), BOT), false);
    for (const m of ["join", "leave", "ban", "knock"]) assert.equal(schoolAccepts(member(BOT, m), BOT), false, m);
  });

  it("refuses other event types, even with a command body", () => {
    for (const type of ["m.reaction", "m.room.name", "m.room.topic", "m.room.encrypted", "m.sticker"]) {
      assert.equal(schoolAccepts(event({ type, content: { body: "!hilfe", membership: "invite" }, state_key: BOT }), BOT), false, type);
    }
  });
});
