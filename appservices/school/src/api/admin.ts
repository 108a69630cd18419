// The school appservice's admin HTTP API: roster import (streamed progress) and reindex, for the CLI and, later, the web client.
import express, { type Express } from "express";
import { isSchulhofError, langOf, sendError, type AppserviceContext, type SynapseAdmin } from "@schulhof/core";
import { LetterStore, lettersPdf, requireSchoolAdmin } from "./web.ts";
import { RosterImportRefusedError, RosterInvalidError } from "../roster/index.ts";
import { importRoster } from "../provision/import.ts";
import { reindexSchool } from "../provision/reindex.ts";
import { allPeople } from "../store/people.ts";
import { allMemberships, allRooms } from "../store/rooms.ts";
import type { SchoolAppserviceConfig } from "../config.ts";

const PREFIX = "/_schulhof/school/v1/admin";

/**
 * Adds the admin routes. Answers are Matrix-style errors (`{errcode, error}`); an import streams
 * NDJSON lines `{"progress":…}` and ends with `{"report":…}` or `{"error":…}`. Only one import
 * runs at a time (409 otherwise).
 */
export function adminRoutes(
  app: Express,
  ctx: AppserviceContext,
  config: SchoolAppserviceConfig,
  admin: SynapseAdmin,
  afterImport: () => Promise<void> = async () => undefined,
): void {
  let busy = false;
  const auth = requireSchoolAdmin(ctx, config);
  const letters = new LetterStore();

  app.post(`${PREFIX}/roster/import`, auth, express.raw({ type: () => true, limit: "20mb" }), async (req, res) => {
    if (busy) {
      res.status(409).json({ errcode: "M_UNKNOWN", schulhof_code: "SCHULHOF_SCHOOL_IMPORT_RUNNING", error: "Ein Import läuft bereits / an import is already running" });
      return;
    }
    busy = true;
    const lang = req.query.lang === "en" ? "en" : "de";
    res.status(200).type("application/x-ndjson");
    const write = (obj: unknown): void => {
      res.write(JSON.stringify(obj) + "\n");
    };
    try {
      const report = await importRoster(
        Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        {
          dryRun: req.query.dry_run === "1",
          skipInvalid: req.query.skip_invalid === "1",
          adminsFromRoster: req.query.admins_from_roster === "1",
          force: req.query.force === "1",
          maxDeactivateShare: config.maxDeactivateShare,
          lang,
          ...(typeof req.query.file_name === "string" ? { fileName: req.query.file_name } : {}),
        },
        {
          db: ctx.db,
          matrix: ctx.matrix,
          admin,
          log: ctx.log,
          serverName: config.serverName,
          school: { name: config.schoolName, state: config.schoolState, timezone: config.timezone, mailDomain: config.mailDomain },
          courseBots: config.courseBots,
          calendarBot: config.calendarBot,
          examBot: config.examBot,
          concurrency: config.concurrency,
          userConcurrency: config.userConcurrency,
        },
        (p) => write({ progress: p }),
      );
      // New and departed teachers: the district directory follows the roster.
      if (req.query.dry_run !== "1") await afterImport();
      // From the web client (an admin's session, or asked for): the passwords go into a PDF kept in memory for the
      // admin who imported, never into the answer. Only the CLI on the server itself gets them to write the letters.
      if ((req.query.letters === "pdf" || res.locals.adminUser !== "cli") && report.letters.length > 0) {
        const pdf = await lettersPdf(report.letters, { name: config.schoolName, loginUrl: config.loginUrl ?? config.homeserverUrl, homeserver: config.serverName }, lang);
        const id = letters.put(pdf, String(res.locals.adminUser));
        write({ report: { ...report, letters: [], letters_count: report.letters.length, letters_url: `${PREFIX}/letters/${id}` } });
      } else {
        write({ report });
      }
    } catch (e) {
      if (e instanceof RosterInvalidError) {
        write({ error: { errcode: "M_BAD_JSON", schulhof_code: e.code, error: e.user[lang], rows: e.errors } });
      } else if (e instanceof RosterImportRefusedError) {
        // Not a failure: the admin is asked to confirm (force=1).
        write({ error: { ...e.toMatrixError(lang), deactivating: e.deactivating, active: e.activeBefore } });
      } else {
        ctx.log.error({ err: e }, "roster import failed");
        write({ error: isSchulhofError(e) ? e.toMatrixError(lang) : { errcode: "M_UNKNOWN", error: lang === "de" ? "Interner Fehler; Einzelheiten stehen im Protokoll." : "Internal error; details are in the log." } });
      }
    } finally {
      busy = false;
      res.end();
    }
  });

  // The school's directory for other services (the mail bridge): people and the rooms that are groups, with members.
  app.get(`${PREFIX}/directory`, auth, async (_req, res) => {
    try {
      const people = (await allPeople(ctx.db)).map((p) => ({
        user_id: p.userId,
        localpart: p.userId.slice(1).split(":")[0] ?? "",
        display_name: `${p.firstName} ${p.lastName}`.trim(),
        role: p.role,
        active: p.active,
      }));
      const rooms = await allRooms(ctx.db);
      const members = await allMemberships(ctx.db);
      const kinds: Record<string, "class" | "course" | "teachers"> = { class: "class", course: "course", teachers: "teachers" };
      const groups = [...rooms.values()]
        .filter((r) => kinds[r.kind] !== undefined)
        .map((r) => ({ kind: kinds[r.kind], name: r.kind === "class" ? r.name.replace(/^Klasse\s+/, "") : r.name, room_id: r.roomId, members: [...(members.get(r.key) ?? [])].sort() }));
      res.json({ people, groups });
    } catch (e) {
      sendError(res, e, langOf(_req), ctx.log);
    }
  });

  app.get(`${PREFIX}/letters/:id`, auth, (req, res) => {
    const pdf = letters.get(String(req.params.id), String(res.locals.adminUser));
    if (pdf === null) {
      res.status(404).json({ errcode: "M_NOT_FOUND", error: "Briefe nicht (mehr) da: bitte neu importieren / letters gone: import again" });
      return;
    }
    res.set({ "content-type": "application/pdf", "content-disposition": 'attachment; filename="zugangsbriefe.pdf"', "cache-control": "no-store" }).send(pdf);
  });

  app.post(`${PREFIX}/reindex`, auth, async (_req, res) => {
    ctx.log.info({ by: res.locals.adminUser }, "reindex");
    try {
      res.json(await reindexSchool(ctx.db, ctx.matrix));
    } catch (e) {
      sendError(res, e, langOf(_req), ctx.log);
    }
  });
}
