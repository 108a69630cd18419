// What `schulhof up` tells the admin about Synapse processes that crashed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { synapseEventText } from "../src/up.ts";

describe("schulhof up: Synapse restarts, in German", () => {
  it("names the process, the cause, the delay, the new process and when it gives up", () => {
    assert.equal(
      synapseEventText({ kind: "exited", name: "sync2", what: "Synapse worker sync2", code: null, signal: "SIGKILL", restartInMs: 2000 }),
      "  Synapse-Prozess sync2 ist unerwartet beendet (SIGKILL); Neustart in 2 s.",
    );
    assert.equal(
      synapseEventText({ kind: "exited", name: "main", what: "Synapse", code: 1, signal: null, restartInMs: 1000 }),
      "  Synapse ist unerwartet beendet (Code 1); Neustart in 1 s.",
    );
    assert.equal(synapseEventText({ kind: "restarted", name: "main", what: "Synapse", pid: 4242 }), "  Synapse läuft wieder (PID 4242).");
    assert.equal(
      synapseEventText({ kind: "gave-up", name: "client1", what: "Synapse worker client1", exits: 6, windowMs: 600_000, logFile: "/srv/s/synapse/workers/client1.console.log" }),
      "  Synapse-Prozess client1 ist 6-mal in 10 Minuten abgestürzt und bleibt aus: siehe /srv/s/synapse/workers/client1.console.log, dann schulhof up neu starten.",
    );
  });
});
