// The Matrix actions a handler can queue in the outbox.

/** One Matrix action. `asUser` defaults to the bot; it must be in the appservice's namespace. */
export type OutboxAction =
  | { kind: "message"; roomId: string; eventType: string; content: Record<string, unknown>; asUser?: string }
  | { kind: "state"; roomId: string; eventType: string; stateKey: string; content: Record<string, unknown>; asUser?: string }
  | { kind: "join"; roomId: string; asUser?: string }
  | { kind: "invite"; roomId: string; userId: string; asUser?: string };
