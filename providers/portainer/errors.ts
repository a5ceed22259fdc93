/**
 * Typed errors of the Portainer client. Every failure the client reports is a {@link PortainerError};
 * callers branch on {@link isNotFound}, {@link isConflict} and {@link isRetryable}, never on message text.
 *
 * No module-level instances here: this module is serialized with the dynamic providers.
 */

/**
 * What went wrong: `http`, the server answered with an error status; `network`, no answer (reset,
 * refused); `timeout`, no answer in time; `tls`, the certificate was not trusted; `protocol`, a success
 * answer that does not have the documented shape; `unsupported`, refused before sending (old server,
 * wrong credential type).
 */
export type PortainerErrorKind = "http" | "network" | "timeout" | "tls" | "protocol" | "unsupported";

/** What a failed call was doing, for the message "Unable to <action> Portainer <resource> <id>: ...". */
export interface Operation {
  /** A verb phrase: `create`, `read`, `update`, `delete`, `start`, `list`. */
  readonly action: string;
  /** The resource, e.g. `stack`, `environment`, `API key`. */
  readonly resource: string;
  /** The resource's identity, when known: an id or a name. */
  readonly id?: string | number;
}

export interface PortainerErrorInit {
  readonly kind: PortainerErrorKind;
  readonly operation: Operation;
  readonly method: string;
  readonly path: string;
  /** HTTP status; 0 when no answer came. */
  readonly status?: number;
  /** Portainer's `message`, or the raw text of a non-JSON answer. */
  readonly serverMessage?: string;
  /** Portainer's `details`. */
  readonly details?: string;
  /** What to do about it, appended to the message. */
  readonly hint?: string;
  readonly cause?: unknown;
}

/**
 * A failed Portainer API call, carrying the status, the request and Portainer's own message.
 *
 * It is a plain `Error` with these fields, made by {@link portainerError}, not a subclass: Pulumi's
 * closure serializer rewrites classes into constructor functions, and an `Error` subclass then loses
 * its message inside the dynamic-provider host.
 */
export interface PortainerError extends Error {
  readonly name: "PortainerError";
  readonly kind: PortainerErrorKind;
  readonly operation: Operation;
  readonly method: string;
  readonly path: string;
  /** HTTP status; 0 when no answer came. */
  readonly status: number;
  readonly serverMessage: string | undefined;
  readonly details: string | undefined;
  readonly hint: string | undefined;
}

/** Makes a {@link PortainerError}. */
export function portainerError(init: PortainerErrorInit): PortainerError {
  const e = new Error(formatMessage(init), init.cause !== undefined ? { cause: init.cause } : undefined);
  return Object.assign(e, {
    name: "PortainerError" as const,
    kind: init.kind,
    operation: init.operation,
    method: init.method,
    path: init.path,
    status: init.status ?? 0,
    serverMessage: init.serverMessage,
    details: init.details,
    hint: init.hint,
  });
}

/** The same error with a hint added to its message (what to do, what did not happen). */
export function withHint(e: PortainerError, hint: string): PortainerError {
  if (e.hint !== undefined) return e;
  const { kind, operation, method, path, status, serverMessage, details, cause } = e;
  return portainerError({ kind, operation, method, path, status, serverMessage, details, hint, cause });
}

function formatMessage(init: PortainerErrorInit): string {
  const { action, resource, id } = init.operation;
  const head = `Unable to ${action} Portainer ${resource}${id !== undefined ? ` ${id}` : ""}`;
  let reason: string;
  if (init.kind === "http") {
    const server = [init.serverMessage, init.details && init.details !== init.serverMessage ? init.details : undefined]
      .filter(Boolean)
      .join(": ");
    reason = `${server || "(empty answer)"} (HTTP ${init.status} ${init.method} ${init.path})`;
  } else if (init.kind === "timeout") {
    reason = `no answer in time (${init.method} ${init.path})`;
  } else if (init.kind === "network" || init.kind === "tls" || init.kind === "protocol") {
    reason = `${init.serverMessage ?? `${init.kind} error`} (${init.method} ${init.path})`;
  } else {
    reason = init.serverMessage ?? "unsupported";
  }
  return `${head}: ${reason}${init.hint ? `; ${init.hint}` : ""}`;
}

/** True for a PortainerError (also across module copies). */
export function isPortainerError(e: unknown): e is PortainerError {
  return e instanceof Error && e.name === "PortainerError" && "kind" in e && "status" in e;
}

/**
 * The object does not exist: HTTP 404, or the 500 "API Key not found" Portainer answers for an unknown
 * API key id (../shared/portainer/CONTRACT.md 3).
 */
export function isNotFound(e: unknown): boolean {
  return (
    isPortainerError(e) &&
    e.kind === "http" &&
    (e.status === 404 || (e.status === 500 && e.serverMessage === "API Key not found"))
  );
}

/** The object already exists (HTTP 409). */
export function isConflict(e: unknown): boolean {
  return isPortainerError(e) && e.kind === "http" && e.status === 409;
}

/** Worth retrying: a network error, a timeout, 429 or a 5xx other than the not-found 500. */
export function isRetryable(e: unknown): boolean {
  if (!isPortainerError(e)) return false;
  if (e.kind === "network" || e.kind === "timeout") return true;
  if (e.kind !== "http") return false;
  return e.status === 429 || (e.status >= 500 && !isNotFound(e));
}

/** What a 401 to an API key means, and what repairs it. */
export const KEY_REFUSED_HINT =
  "Portainer refused the API key: it was revoked or deleted outside Pulumi. " +
  "Run `pulumi refresh`, then `pulumi up` (or `pulumi up --refresh`): " +
  "the refresh finds the key gone and the up creates a new one";

/** Portainer refused the API key the call was made with (revoked, deleted, or from another server). */
export function isKeyRefused(e: unknown): boolean {
  return isPortainerError(e) && e.kind === "http" && e.status === 401 && e.hint === KEY_REFUSED_HINT;
}

/** Authentication failed or was refused (401 or 403). */
export function isAuthError(e: unknown): boolean {
  return isPortainerError(e) && e.kind === "http" && (e.status === 401 || e.status === 403);
}
