// A synthetic school of any size as a roster CSV: classes in Sek I and Sek II, courses, teachers, German names.

const FIRST = ["Lena", "Jonas", "Mia", "Lukas", "Sören", "Ayşe", "Emilia", "Noah", "Hannah", "Elias", "Zoë", "Maximilian", "Jürgen", "Özlem", "Björn", "Käthe", "Lea", "Paul", "Marie", "Ben", "Sophie", "Finn", "Emma", "Leon", "Anna", "Luis", "Clara", "Felix", "Ida", "Anton"];
const LAST = ["Müller", "Schäfer", "Köhler", "Groß", "Böhm", "Jäger", "Brück", "Krüger", "Schröder", "Wöhler", "Sänger", "Lüders", "Fußmann", "Weiß", "Çelik", "Yılmaz", "Hoffmann", "Schmidt", "Becker", "Wagner", "Neumann", "Schwarz", "Zimmermann", "Krause", "Hartmann", "Lange", "Werner", "Krämer", "Vogel", "Günther"];
const SEK1_SUBJECTS = ["Mathematik", "Deutsch", "Englisch", "Biologie", "Geschichte", "Physik", "Kunst"];
const SEK2_SUBJECTS = ["Mathematik", "Deutsch", "Englisch", "Biologie", "Geschichte", "Physik", "Chemie", "Latein", "Französisch", "Informatik"];

export interface SchoolSize {
  students: number;
  teachers: number;
  classes: number;
  courses: number;
}

/** The figures the provisioning benchmark asks for. */
export const BENCH_SCHOOL: SchoolSize = { students: 1000, teachers: 80, classes: 40, courses: 300 };

/**
 * A roster (semicolon CSV, UTF-8) with exactly `size` people, classes and courses: 34 Sek I classes
 * (grades 5–10) with class courses, and Sek II classes (EF, Q1, Q2) whose students choose year-group
 * courses; courses are spread over the teachers. Every person has a unique ID.
 */
export function generateRoster(size: SchoolSize): { csv: string; memberships: number } {
  const sek2Classes = Math.max(0, Math.min(6, size.classes - 1));
  const sek1Count = size.classes - sek2Classes;
  const classes: string[] = [];
  for (let i = 0; i < sek1Count; i++) classes.push(`${5 + (i % 6)}${String.fromCharCode(97 + Math.floor(i / 6))}`);
  const sek2Groups = ["EF", "Q1", "Q2"];
  for (let i = 0; i < sek2Classes; i++) classes.push(`${sek2Groups[i % 3]}${String.fromCharCode(97 + Math.floor(i / 3))}`);

  // Courses: Sek I class courses first, the rest as Sek II year-group courses.
  const classCourses = new Map<string, string[]>();
  const courses: string[] = [];
  const sek1Budget = Math.min(size.courses, sek1Count * SEK1_SUBJECTS.length);
  for (let i = 0; i < sek1Budget; i++) {
    const cls = classes[i % sek1Count] ?? "5a";
    const name = `${SEK1_SUBJECTS[Math.floor(i / sek1Count) % SEK1_SUBJECTS.length]} ${cls}`;
    courses.push(name);
    classCourses.set(cls, [...(classCourses.get(cls) ?? []), name]);
  }
  const yearCourses = new Map<string, string[]>();
  for (let i = 0; courses.length < size.courses; i++) {
    const group = sek2Groups[i % 3] ?? "Q1";
    const name = `${SEK2_SUBJECTS[Math.floor(i / 3) % SEK2_SUBJECTS.length]} ${group} K${Math.floor(i / 30) + 1}`;
    courses.push(name);
    yearCourses.set(group, [...(yearCourses.get(group) ?? []), name]);
  }

  const lines = ["Rolle;ID;Vorname;Nachname;Klasse;Kurse"];
  let memberships = 0;
  const name = (i: number): [string, string] => [FIRST[i % FIRST.length] ?? "Max", `${LAST[Math.floor(i / FIRST.length) % LAST.length] ?? "Muster"}${i >= FIRST.length * LAST.length ? ` ${Math.floor(i / (FIRST.length * LAST.length)) + 1}` : ""}`];
  lines.push("Admin;A0;Birgit;Schulleitung;;");
  for (let s = 0; s < size.students; s++) {
    const cls = classes[s % classes.length] ?? "5a";
    const group = cls.replace(/[a-z]$/, "");
    let mine: string[];
    if (sek2Groups.includes(group)) {
      const pool = yearCourses.get(group) ?? [];
      mine = pool.filter((_, i) => (i + s) % 2 === 0).slice(0, 10);
    } else {
      mine = classCourses.get(cls) ?? [];
    }
    memberships += mine.length;
    const [first, last] = name(s);
    lines.push(`Schüler;S${s};${first};${last};${cls};${mine.join("|")}`);
  }
  for (let t = 0; t < size.teachers; t++) {
    const mine = courses.filter((_, i) => i % size.teachers === t);
    memberships += mine.length;
    const [first, last] = name(t + 7);
    const lead = t < classes.length ? classes[t] : "";
    lines.push(`Lehrer;L${t};${first};${last} (L);${lead};${mine.join("|")}`);
  }
  return { csv: lines.join("\n") + "\n", memberships };
}
