// Public surface of OpenID sign-in: verifying OpenID tokens, stateless sessions, and the Express glue.
export { OpenIdVerifier, OpenIdTokenSchema, type OpenIdToken, type OpenIdVerifierOptions } from "./verifier.ts";
export { issueSession, verifySession, assertSessionSecret, DEFAULT_SESSION_TTL_MS, MIN_SESSION_SECRET_LENGTH, type Session } from "./session.ts";
export { openIdRoutes, requireUser, userOf, sendError, langOf, matrixErrorHandler, type OpenIdRouteOptions } from "./express.ts";
export { OPENID_ERROR_CODES, type OpenIdErrorKind } from "./errors.ts";
