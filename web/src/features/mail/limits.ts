// Whether chosen files fit into one mail under the bridge's limits (checked before anything is uploaded).

/** Why the chosen files cannot go out with one mail. */
export type LimitProblem = { kind: "too_large"; maxBytes: number } | { kind: "too_many"; max: number };

/** The bridge's limits for one mail (from `GET /address`). */
export interface MailLimits {
  maxAttachmentBytes: number;
  maxAttachments: number;
}

/** The problem with files of these sizes, or null when they fit; the bridge checks again, measuring. */
export function limitProblem(sizes: readonly number[], limits: MailLimits): LimitProblem | null {
  if (sizes.length > limits.maxAttachments) return { kind: "too_many", max: limits.maxAttachments };
  const total = sizes.reduce((a, b) => a + b, 0);
  return total > limits.maxAttachmentBytes ? { kind: "too_large", maxBytes: limits.maxAttachmentBytes } : null;
}
