// The person-readable index.html of an export: German headings with English in brackets, every value escaped.
import type { PersonExport } from "./export.ts";

const esc = (v: unknown): string =>
  String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

function table(head: string[], rows: unknown[][]): string {
  if (rows.length === 0) return "<p><em>keine (none)</em></p>";
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${typeof c === "object" && c !== null && "html" in c ? String((c as { html: string }).html) : esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

const link = (path: string | null, label: string): { html: string } => ({ html: path === null ? esc(label) : `<a href="${esc(path)}">${esc(label)}</a>` });

function messageText(content: Record<string, unknown>, type: string): string {
  if (typeof content.body === "string") return content.body;
  if (typeof content.text === "string") return content.text;
  if (type === "m.room.member") return `Mitgliedschaft: ${String(content.membership ?? "")}`;
  return JSON.stringify(content).slice(0, 300);
}

export function renderIndex(d: PersonExport): string {
  const mediaByMxc = new Map(d.media.map((m) => [m.mxc, m.file]));
  const fileLinks = (files: unknown): { html: string } => {
    const list = Array.isArray(files) ? (files as { url?: string; name?: string; body?: string }[]) : [];
    return { html: list.map((f) => link(mediaByMxc.get(f.url ?? "") ?? null, f.name ?? f.body ?? f.url ?? "").html).join(", ") };
  };
  const r = d.school_roster?.roster;
  const hw = d.homework;
  const sections: string[] = [
    `<h2>Person und Konto (profile and account)</h2>${table(
      ["Feld (field)", "Wert (value)"],
      [
        ["Matrix-ID", d.user_id],
        ["Anzeigename (display name)", d.account.displayname],
        ["Name laut Schulliste (name in the roster)", r === undefined || r === null ? "" : `${r.first_name} ${r.last_name}`],
        ["Rolle (role)", r?.role ?? ""],
        ["Klasse (class)", r?.class_name ?? ""],
        ["E-Mail", r?.email ?? ""],
        ["Konto angelegt (created)", typeof d.account.creation_ts === "number" ? new Date(d.account.creation_ts).toISOString() : ""],
        ["Deaktiviert (deactivated)", d.account.deactivated ? "ja (yes)" : "nein (no)"],
        ["Geräte (devices)", d.devices.length],
      ],
    )}`,
    `<h2>Räume (rooms)</h2>${table(["Raum (room)", "Mitgliedschaft (membership)", "ID"], d.rooms.map((x) => [x.name, x.membership, x.room_id]))}`,
    `<h2>Eigene Nachrichten (messages you sent): ${d.messages.length}</h2>${table(
      ["Datum (date)", "Raum (room)", "Art (type)", "Inhalt (content)"],
      d.messages.map((m) => [m.sent_at, m.room_name || m.room_id, m.type, m.redacted ? "(gelöscht / redacted)" : messageText(m.content, m.type)]),
    )}`,
    `<h2>Hochgeladene Dateien (files you uploaded): ${d.media.length}</h2>${table(
      ["Datei (file)", "Typ (type)", "Größe (bytes)", "Datum (date)"],
      d.media.map((m) => [link(m.file, m.upload_name ?? m.media_id), m.media_type, m.media_length, m.created_at]),
    )}`,
  ];
  if (hw !== null) {
    sections.push(
      `<h2>Abgaben (homework submissions): ${hw.submissions.length}</h2>${table(
        ["Kurs (course)", "Aufgabe (assignment)", "Abgegeben (submitted)", "verspätet (late)", "Text", "Dateien (files)"],
        hw.submissions.map((s) => [s.course_name, s.assignment_title || s.assignment_id, s.submitted_at, s.late ? "ja" : "nein", s.content.text ?? "", fileLinks(s.content.files)]),
      )}`,
      `<h2>Rückmeldungen und Noten (feedback and grades): ${hw.feedback_received.length}</h2>${table(
        ["Kurs (course)", "Aufgabe (assignment)", "Note (grade)", "Punkte (points)", "Kommentar (comment)", "von (by)", "Datum (date)"],
        hw.feedback_received.map((f) => [f.course_name, f.assignment_title || f.assignment_id, f.grade ?? "", f.points ?? "", f.comment, f.sender, f.given_at]),
      )}`,
    );
  }
  if (d.calendar !== null) {
    sections.push(
      `<h2>Kalender (calendar entries): ${d.calendar.entries.length}</h2>${table(
        ["Kalender", "Titel (title)", "von (from)", "bis (to)", "Art (category)"],
        d.calendar.entries.map((e) => [e.calendar, e.content.summary ?? e.content.title ?? e.uid, e.first_day, e.last_day, e.category]),
      )}<h3>Kalender-Abos (feeds)</h3>${table(["ID", "Bezeichnung (label)", "angelegt (created)", "zuletzt genutzt (last used)", "widerrufen (revoked)"], d.calendar.feeds.map((f) => [f.id, f.label, f.created_at, f.last_used_at ?? "", f.revoked_at ?? ""]))}`,
    );
  }
  if (d.mail !== null) {
    sections.push(
      `<h2>E-Mail (mail): ${d.mail.received.length} empfangen (received), ${d.mail.sent.length} gesendet (sent)</h2>${table(
        ["Richtung (direction)", "Datum (date)", "von/an (from/to)", "Datei (file)"],
        [
          ...d.mail.received.map((m) => ["empfangen (received)", m.received_at, m.mail_from, link(m.file, m.file)]),
          ...d.mail.sent.map((m) => ["gesendet (sent)", m.created_at, (m.rcpt_to as string[]).join(", "), link(m.file, m.file)]),
        ],
      )}`,
    );
  }
  sections.push(
    `<h2>Verwaltungsaktionen (admin actions)</h2><p>${esc(d.admin_actions.note)}</p>`,
    `<h2>Nicht enthalten (not included)</h2><ul>${d.not_included.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`,
  );
  return `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Auskunft ${esc(d.user_id)}</title>
<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3em;text-align:left;vertical-align:top}th{background:#eee}</style>
</head><body>
<h1>Auskunft nach Art. 15 DSGVO (data subject access)</h1>
<p>${esc(d.school.name)} (${esc(d.school.server_name)}) – ${esc(d.user_id)} – erstellt am (generated) ${esc(d.generated_at)}.
Alle Daten maschinenlesbar in <a href="data.json">data.json</a>; Dateien in <code>media/</code>, E-Mails in <code>mail/</code>.</p>
${sections.join("\n")}
</body></html>
`;
}
