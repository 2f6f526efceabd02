/** A request the caller got wrong, may not make, or that is no longer valid; `status` is the HTTP status. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
