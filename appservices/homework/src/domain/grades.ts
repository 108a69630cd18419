// Grades as German schools give them: 1 to 6 with + and - in Sek I, 0 to 15 points in Sek II.

/** Parses what a teacher typed as a grade for an assignment graded `grading`; null when it does not fit. */
export function parseGrade(input: string, grading: "grade" | "points" | "none"): { grade: string | null; points: number | null } | null {
  const v = input.trim();
  if (grading === "grade") return /^[1-6][+-]?$/.test(v) && v !== "1+" && v !== "6-" ? { grade: v, points: null } : null;
  if (grading === "points") {
    if (!/^\d{1,2}$/.test(v)) return null;
    const n = Number(v);
    return n >= 0 && n <= 15 ? { grade: null, points: n } : null;
  }
  return { grade: null, points: null };
}

/** How a grade reads in a message: `2-` or `11 Punkte` / `11 points`. */
export function gradeText(g: { grade: string | null; points: number | null }, lang: "de" | "en"): string {
  if (g.grade !== null) return g.grade;
  if (g.points !== null) return `${g.points} ${lang === "de" ? "Punkte" : "points"}`;
  return "";
}
