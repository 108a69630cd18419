// The homework section's pure helpers: school time across clock changes, parsing assignments, grades, the form, the to-do list.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assignmentContent, formOfDraft, gradeFromInput, isMxc, parseAssignment, parseFileRef, splitTodo, verdictIn, type AssignmentForm } from "../src/features/homework/model.ts";
import { formatAtSchool, rfc3339ToWallClock, wallClockToRfc3339 } from "../src/features/homework/time.ts";

describe("school time", () => {
  it("gives the offset in force: winter +01:00, summer +02:00", () => {
    assert.equal(wallClockToRfc3339("2026-03-24T18:00"), "2026-03-24T18:00:00+01:00");
    assert.equal(wallClockToRfc3339("2026-06-10T07:45"), "2026-06-10T07:45:00+02:00");
  });

  it("refuses the hour skipped in March and takes the first of the repeated hour in October", () => {
    assert.deepEqual(wallClockToRfc3339("2026-03-29T02:30"), { error: "nonexistent" });
    assert.equal(wallClockToRfc3339("2026-10-25T02:30"), "2026-10-25T02:30:00+02:00");
    assert.equal(wallClockToRfc3339("2026-10-25T03:30"), "2026-10-25T03:30:00+01:00");
  });

  it("refuses what is no date", () => {
    assert.deepEqual(wallClockToRfc3339("morgen"), { error: "invalid" });
    assert.deepEqual(wallClockToRfc3339("2026-02-30T10:00"), { error: "invalid" });
    assert.deepEqual(wallClockToRfc3339("2026-02-10T10:00", "Mars/Olympus"), { error: "invalid" });
  });

  it("turns an instant back into the wall clock at school, whatever offset it was written with", () => {
    assert.equal(rfc3339ToWallClock("2026-03-24T17:00:00Z"), "2026-03-24T18:00");
    assert.equal(rfc3339ToWallClock("2026-07-01T12:00:00+02:00"), "2026-07-01T12:00");
  });

  it("formats in German and English at school time", () => {
    assert.equal(formatAtSchool("2026-03-24T17:00:00Z", "de"), "Di., 24.03.2026, 18:00");
    assert.match(formatAtSchool("2026-03-24T17:00:00Z", "en"), /^Tue,? 24\/03\/2026,? 18:00$/);
  });
});

describe("assignments from room state", () => {
  it("reads a full assignment and drops unusable attachments", () => {
    const a = parseAssignment("a1", {
      title: " Bruchrechnung ",
      description: { body: "Seite 42", html: "<b>Seite 42</b>" },
      due: "2026-03-24T18:00:00+01:00",
      cutoff: null,
      attachments: [{ url: "mxc://schule.example/abc", name: "blatt.pdf", size: 10, mimetype: "application/pdf" }, { url: "https://evil.example/x", name: "x" }],
      submission_kinds: ["file"],
      grading: "points",
      status: "closed",
    });
    assert.equal(a?.title, "Bruchrechnung");
    assert.equal(a?.descriptionHtml, "<b>Seite 42</b>");
    assert.equal(a?.attachments.length, 1);
    assert.deepEqual(a?.kinds, ["file"]);
    assert.equal(a?.grading, "points");
    assert.equal(a?.status, "closed");
    assert.equal(a?.timezone, "Europe/Berlin");
  });

  it("answers null for a deleted or broken assignment", () => {
    assert.equal(parseAssignment("a1", {}), null);
    assert.equal(parseAssignment("a1", { title: "x", due: "morgen" }), null);
  });

  it("accepts only plain mxc URLs", () => {
    assert.ok(isMxc("mxc://schule.example/AbC_12-x"));
    assert.ok(!isMxc("mxc://schule.example/../x"));
    assert.ok(!isMxc("javascript:alert(1)"));
    assert.equal(parseFileRef({ url: "mxc://s/abc", size: -1 })?.size, 0);
  });
});

describe("grades", () => {
  it("takes German grades and points, refuses what the service refuses", () => {
    assert.deepEqual(gradeFromInput("2+", "grade"), { grade: "2+", points: null });
    assert.equal(gradeFromInput("1+", "grade"), null);
    assert.deepEqual(gradeFromInput("11", "points"), { grade: null, points: 11 });
    assert.equal(gradeFromInput("16", "points"), null);
    assert.deepEqual(gradeFromInput("", "grade"), { grade: null, points: null });
  });
});

describe("the assignment form", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  const form = (over: Partial<AssignmentForm>): AssignmentForm => ({ title: "Gedicht", description: "", due: "2026-03-24T18:00", cutoff: "", grading: "grade", kinds: ["text", "file"], attachments: [], ...over });

  it("builds the content with offsets", () => {
    const r = assignmentContent(form({ cutoff: "2026-03-31T18:00" }), { publish: true, now });
    assert.ok("content" in r);
    assert.equal(r.content.due, "2026-03-24T18:00:00+01:00");
    assert.equal(r.content.cutoff, "2026-03-31T18:00:00+02:00");
    assert.equal(r.content.timezone, "Europe/Berlin");
  });

  it("names each problem", () => {
    const r = assignmentContent(form({ title: " ", due: "2026-02-01T10:00", cutoff: "2026-01-01T10:00", kinds: [] }), { publish: true, now });
    assert.ok("errors" in r);
    assert.deepEqual(r.errors, { title: "required", due: "past", kinds: "required" });
    const r2 = assignmentContent(form({ cutoff: "2026-03-20T10:00" }), { publish: true, now });
    assert.deepEqual("errors" in r2 ? r2.errors : null, { cutoff: "before_due" });
  });

  it("saves a draft with only a title, and reads it back", () => {
    const r = assignmentContent(form({ due: "" }), { publish: false, now });
    assert.ok("content" in r);
    assert.equal(r.content.due, undefined);
    const back = formOfDraft({ ...r.content, due: "2026-03-24T17:00:00Z" }, (x) => rfc3339ToWallClock(x));
    assert.equal(back.due, "2026-03-24T18:00");
    assert.equal(back.grading, "grade");
    assert.deepEqual(formOfDraft({ title: "Nur ein Titel" }, (x) => x), { title: "Nur ein Titel", description: "", due: "", cutoff: "", grading: "none", kinds: ["text", "file"], attachments: [] });
  });
});

describe("the to-do list", () => {
  it("puts open work first by due date and done work latest first", () => {
    const items = [
      { title: "c", due: "2026-03-03T10:00:00Z", status: "submitted" as const },
      { title: "b", due: "2026-03-02T10:00:00Z", status: "overdue" as const },
      { title: "a", due: "2026-03-05T10:00:00Z", status: "new" as const },
      { title: "d", due: "2026-03-04T10:00:00Z", status: "past" as const },
    ];
    const { open, done } = splitTodo(items);
    assert.deepEqual(open.map((i) => i.title), ["b", "a"]);
    assert.deepEqual(done.map((i) => i.title), ["d", "c"]);
  });

});

describe("the bot's verdict on a submission", () => {
  const receipt = (code: string, late: boolean): Record<string, unknown> => ({
    msgtype: "m.notice",
    body: "Abgabe erhalten.",
    "de.schulhof.homework.receipt": { submission: "$s1", assignment_id: "a1", late, status: "received", code },
  });
  it("reads receipts, on time and late, and ignores those of other submissions", () => {
    assert.deepEqual(verdictIn(receipt("on_time", false), "$s1"), { kind: "received", late: false });
    assert.deepEqual(verdictIn(receipt("late", true), "$s1"), { kind: "received", late: true });
    assert.equal(verdictIn(receipt("on_time", false), "$other"), null);
    assert.equal(verdictIn({ msgtype: "m.notice", body: "Hallo" }, "$s1"), null);
  });

  it("reads a refusal's code, and keeps the bot's words for a code it does not know", () => {
    const refusal = (code: unknown): Record<string, unknown> => ({ body: "Nicht angenommen: <b>zu spät</b>", "de.schulhof.homework.refusal": { submission: "$s1", status: "refused", code } });
    assert.deepEqual(verdictIn(refusal("too_late"), "$s1"), { kind: "refused", code: "too_late", text: "Nicht angenommen: <b>zu spät</b>" });
    assert.deepEqual(verdictIn(refusal("closed"), "$s1"), { kind: "refused", code: "closed", text: "Nicht angenommen: <b>zu spät</b>" });
    assert.deepEqual(verdictIn(refusal("new_reason"), "$s1"), { kind: "refused", code: null, text: "Nicht angenommen: <b>zu spät</b>" });
    assert.deepEqual(verdictIn(refusal(undefined), "$s1"), { kind: "refused", code: null, text: "Nicht angenommen: <b>zu spät</b>" });
  });
});
