// The demo's outgoing relay: a local SMTP server that keeps every mail the bridge sends as an .eml file (no mail leaves the machine).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";

/** Starts the demo outbox on `bind:port`; mails land in `dir` as `<time>-<hash>.eml`. */
export async function startDemoOutbox(bind: string, port: number, dir: string): Promise<{ close(): Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    banner: "Schulhof demo outbox",
    size: 50 * 1024 * 1024,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        const name = `${new Date().toISOString().replace(/[:.]/g, "-")}-${createHash("sha256").update(raw).digest("hex").slice(0, 8)}.eml`;
        writeFileSync(join(dir, name), raw);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bind, () => resolve());
  });
  return { close: () => new Promise<void>((r) => server.close(() => r())) };
}
