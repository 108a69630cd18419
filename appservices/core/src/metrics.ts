// Prometheus metrics (prom-client) for one appservice: a registry of its own plus the shared counters.
import { Counter, Histogram, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** The metrics every appservice exposes at `/metrics`. */
export interface CoreMetrics {
  registry: Registry;
  transactions: Counter<"appservice">;
  events: Counter<"appservice" | "outcome">;
  handlerSeconds: Histogram<"appservice">;
  pending: Gauge<"appservice">;
}

/** Creates the registry and the shared metrics. Default process metrics are included. */
export function createMetrics(appservice: string, pendingCount?: () => Promise<number>): CoreMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ appservice });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    transactions: new Counter({
      name: "schulhof_transactions_total",
      help: "Homeserver transactions acknowledged after storing",
      labelNames: ["appservice"],
      registers: [registry],
    }),
    events: new Counter({
      name: "schulhof_events_total",
      help: "Events handled, by outcome",
      labelNames: ["appservice", "outcome"],
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: "schulhof_event_handler_seconds",
      help: "Time spent handling one event",
      labelNames: ["appservice"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    pending: new Gauge({
      name: "schulhof_inbox_pending",
      help: "Events stored but not yet handled",
      labelNames: ["appservice"],
      registers: [registry],
      async collect(): Promise<void> {
        if (pendingCount !== undefined) this.set(await pendingCount());
      },
    }),
  };
}
