// Small HTTP helpers shared by the appservices' APIs.
import { timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";

/**
 * Lets through only requests with `Authorization: Bearer <token>` (compared in constant time);
 * others get 401 `M_UNKNOWN_TOKEN`. For service-to-service and admin APIs with a shared secret.
 */
export function requireBearer(token: string): RequestHandler {
  const expected = Buffer.from(`Bearer ${token}`);
  return (req, res, next) => {
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).json({ errcode: "M_UNKNOWN_TOKEN", error: "Unbekanntes Token / unknown token" });
      return;
    }
    next();
  };
}
