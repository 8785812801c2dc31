/** An error the client caused, with the status it gets (the one error handler sends it). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A 400 for one field of the request body: the answer names the field and the rule it breaks. */
export class FieldError extends HttpError {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(400, field ? `${field}: ${rule}` : rule);
    this.name = 'FieldError';
  }
}
