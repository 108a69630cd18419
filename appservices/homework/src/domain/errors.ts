// The homework package's error type: a code, a log message and texts for people.
import { SchulhofError, type UserText } from "@schulhof/core";

/** A refusal or failure in homework; `user` is what the teacher or student reads. */
export class HomeworkError extends SchulhofError {
  constructor(code: string, message: string, user: UserText, httpStatus = 400, errcode = "M_INVALID_PARAM") {
    super(code, message, user, { httpStatus, errcode });
    this.name = "HomeworkError";
  }
}
