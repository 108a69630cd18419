// Bot commands of `@schule` for any Matrix client: German names with English aliases; replies in the asker's language.
import type { MatrixEvent } from "@schulhof/core";
import { CALENDAR_HELP, HELP, HOMEWORK_HELP, ROLE, ROOMS, VIDEO, WHOAMI, type Lang } from "./texts.ts";

/** What commands need: a way to answer, and read access to the school's projection. */
export interface CommandPort {
  /** Answers in `roomId` as a reply to `replyTo`. */
  reply(roomId: string, replyTo: string, text: string, html: string): Promise<void>;
  personOf(userId: string): Promise<{ role: string; className: string | null; courses: string[] } | null>;
  roomsOf(userId: string): Promise<{ name: string; roomId: string }[]>;
  defaultLang: Lang;
  /** Also list the homework bot's commands. */
  homework: boolean;
  /** Also list the calendar and exam bots' commands. */
  calendar?: boolean;
  /** The school's bots: a mention of one of them never names the person a command is about. */
  bots?: readonly string[];
  /** The room's video settings and the asker's power level (when the school has video). */
  video?: {
    read(roomId: string, userId: string): Promise<{ power: number; settings: Record<string, unknown> }>;
    write(roomId: string, settings: Record<string, unknown>): Promise<void>;
    /** Asks the video service to act on the room's call for `actor`; answers how many took part in it. */
    moderate?(roomId: string, actor: string, action: VideoAction, userId?: string): Promise<{ affected: number }>;
  };
}

/** What teachers can do to a running call from the chat. */
export type VideoAction = "mute" | "mute_all" | "camera_off" | "remove" | "admit" | "admit_all" | "end";

/** `!video <word> [@user|alle]`: the moderation words, German and English. */
const VIDEO_WORDS: Record<string, { lang: Lang; one: VideoAction | null; all: VideoAction | null }> = {
  stumm: { lang: "de", one: "mute", all: "mute_all" },
  mute: { lang: "en", one: "mute", all: "mute_all" },
  kamera: { lang: "de", one: "camera_off", all: null },
  camera: { lang: "en", one: "camera_off", all: null },
  raus: { lang: "de", one: "remove", all: null },
  entfernen: { lang: "de", one: "remove", all: null },
  remove: { lang: "en", one: "remove", all: null },
  einlassen: { lang: "de", one: "admit", all: "admit_all" },
  admit: { lang: "en", one: "admit", all: "admit_all" },
  ende: { lang: "de", one: null, all: "end" },
  beenden: { lang: "de", one: null, all: "end" },
  end: { lang: "en", one: null, all: "end" },
};

/** The person a command names: a Matrix ID in the text, else the first mention (a "pill" in rich clients). */
function targetOf(event: MatrixEvent, args: string, bots: readonly string[]): string | null {
  const inText = /@[^\s:]+:[^\s]+/.exec(args)?.[0];
  if (inText !== undefined) return inText.replace(/[.,;!?]+$/, "");
  const mentions = (event.content["m.mentions"] as { user_ids?: unknown } | undefined)?.user_ids;
  if (Array.isArray(mentions)) return mentions.find((u): u is string => typeof u === "string" && !bots.includes(u) && u !== event.sender) ?? null;
  return null;
}

type Command = "help" | "whoami" | "rooms" | "video";

const NAMES: Record<string, { cmd: Command; lang: Lang | null }> = {
  hilfe: { cmd: "help", lang: "de" },
  help: { cmd: "help", lang: "en" },
  ich: { cmd: "whoami", lang: "de" },
  whoami: { cmd: "whoami", lang: "en" },
  räume: { cmd: "rooms", lang: "de" },
  raeume: { cmd: "rooms", lang: "de" },
  rooms: { cmd: "rooms", lang: "en" },
  video: { cmd: "video", lang: null },
  videostunde: { cmd: "video", lang: "de" },
};

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Parses `!name args`; null when the message is not a command. */
export function parseCommand(body: string): { name: string; args: string } | null {
  const m = /^!(\S+)\s*([\s\S]*)$/.exec(body.trim());
  if (m === null) return null;
  return { name: (m[1] ?? "").toLowerCase(), args: m[2] ?? "" };
}

/**
 * Answers one `m.room.message` if it is a command for this bot. Replies go through the outbox,
 * so they are sent once even when the appservice crashes in between.
 */
export async function handleCommand(event: MatrixEvent, port: CommandPort): Promise<boolean> {
  const body = typeof event.content.body === "string" ? event.content.body : "";
  const parsed = parseCommand(body);
  if (parsed === null) return false;
  const known = NAMES[parsed.name];
  if (known === undefined) {
    // Other bots (homework, calendar, …) own other commands: stay silent for those.
    return false;
  }
  const lang = known.lang ?? port.defaultLang;
  switch (known.cmd) {
    case "help": {
      const h = HELP[lang];
      const lines = [...h.lines, ...(port.homework ? HOMEWORK_HELP[lang] : []), ...(port.calendar === true ? CALENDAR_HELP[lang] : [])];
      const text = [h.title, ...lines.map(([c, d]) => `${c}: ${d}`)].join("\n");
      const html = `<p>${escapeHtml(h.title)}</p><ul>${lines.map(([c, d]) => `<li><code>${escapeHtml(c)}</code>: ${escapeHtml(d)}</li>`).join("")}</ul>`;
      await port.reply(event.room_id, event.event_id, text, html);
      return true;
    }
    case "whoami": {
      const p = await port.personOf(event.sender);
      const text = p === null ? WHOAMI[lang].unknown : WHOAMI[lang].line(ROLE[lang][p.role] ?? p.role, p.className, p.courses);
      await port.reply(event.room_id, event.event_id, text, escapeHtml(text));
      return true;
    }
    case "video": {
      if (port.video === undefined) return false;
      const [what = "", onOff = ""] = parsed.args.trim().toLowerCase().split(/\s+/);
      const word = VIDEO_WORDS[what];
      const lang2: Lang = word?.lang ?? (/\b(on|off|lobby|screen)\b/i.test(parsed.args) ? "en" : lang);
      const { power, settings } = await port.video.read(event.room_id, event.sender);
      const t = VIDEO[lang2];
      if (word !== undefined && port.video.moderate !== undefined) {
        const say = (text: string): Promise<void> => port.reply(event.room_id, event.event_id, text, escapeHtml(text));
        if (power < 50) {
          await say(t.teachersOnly);
          return true;
        }
        const target = targetOf(event, parsed.args, port.bots ?? []);
        // Without a person, "stumm" and "einlassen" mean everyone (harmless: students unmute themselves); "raus" needs one.
        const action = target !== null ? word.one : word.all;
        if (action === null) {
          await say(t.moderationUsage);
          return true;
        }
        const { affected } = await port.video.moderate(event.room_id, event.sender, action, target ?? undefined);
        await say(affected === 0 && action !== "admit" ? t.nobody : t.done(action, target));
        return true;
      }
      if (what === "") {
        const text = t.status(settings.lobby === true, settings.students_screen_share === true);
        await port.reply(event.room_id, event.event_id, text, escapeHtml(text));
        return true;
      }
      const key = what === "warteraum" || what === "lobby" ? "lobby" : what === "bildschirm" || what === "screen" ? "students_screen_share" : null;
      const value = onOff === "an" || onOff === "on" ? true : onOff === "aus" || onOff === "off" ? false : null;
      if (key === null || value === null) {
        await port.reply(event.room_id, event.event_id, t.usage, escapeHtml(t.usage));
        return true;
      }
      if (power < 50) {
        await port.reply(event.room_id, event.event_id, t.teachersOnly, escapeHtml(t.teachersOnly));
        return true;
      }
      await port.video.write(event.room_id, { ...settings, [key]: value });
      const text = t.changed(key === "lobby", value);
      await port.reply(event.room_id, event.event_id, text, escapeHtml(text));
      return true;
    }
    case "rooms": {
      const rooms = await port.roomsOf(event.sender);
      const text = rooms.length === 0 ? ROOMS[lang].none : [ROOMS[lang].title, ...rooms.map((r) => `• ${r.name}`)].join("\n");
      const html =
        rooms.length === 0
          ? escapeHtml(ROOMS[lang].none)
          : `<p>${escapeHtml(ROOMS[lang].title)}</p><ul>${rooms.map((r) => `<li><a href="https://matrix.to/#/${encodeURIComponent(r.roomId)}">${escapeHtml(r.name)}</a></li>`).join("")}</ul>`;
      await port.reply(event.room_id, event.event_id, text, html);
      return true;
    }
  }
}
