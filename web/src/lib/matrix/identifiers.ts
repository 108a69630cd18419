// What a person types as user name at login, as the homeserver reads it; whether it names a known user (pure, unit-tested).

/**
 * The user identifier for the login: a full Matrix ID (`@lena.koehler:server`) as typed, else the user name without
 * spaces and a stray leading `@` (`lena.koehler`). Lower-cased, as Synapse's user names are.
 */
export function loginIdentifier(input: string): string {
  const trimmed = input.trim();
  if (/^@[^:\s]+:\S+$/.test(trimmed)) return trimmed.toLowerCase();
  return trimmed.replace(/^@/, "").toLowerCase();
}

/** True when what the person typed names the user of `userId` (`lena.koehler` or `@lena.koehler:server`, any case). */
export function namesUser(input: string, userId: string): boolean {
  const identifier = loginIdentifier(input);
  const user = userId.toLowerCase();
  return identifier.startsWith("@") ? identifier === user : `@${identifier}:` === user.slice(0, identifier.length + 2);
}
