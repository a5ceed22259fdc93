/**
 * What every Portainer dynamic provider shares: the connection it takes as a (secret) input, `check`
 * with zod that tolerates `__provider` and preview's unknowns, and `diff` over normalised values.
 *
 * Loaded in the dynamic-provider host from the project (ADR 011), not closure-serialized: only the
 * loader in runtime.ts must avoid module-level instances.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isKeyRefused, isNotFound } from "./errors";
import { createTransport, type PortainerAuth, type Transport } from "./transport";

/** The sentinel the engine sends for values unknown during preview (sdk/nodejs/runtime/rpc.ts). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** How a provider reaches Portainer. Passed as a secret input: never captured in the serialized closure. */
export interface ConnectionInputs {
  /** The Portainer URL, e.g. `https://10.0.0.101:9443`. */
  readonly url: string;
  /** An API key (`X-API-Key`). */
  readonly apiKey: string;
  /** A PEM CA certificate to trust. */
  readonly caCert?: string;
  /** Skip TLS verification (Portainer's own certificate is self-signed). */
  readonly insecureSkipVerify?: boolean;
}

/** The public form of {@link ConnectionInputs}: each field may be an Output. */
export type ConnectionArgs = { readonly [K in keyof ConnectionInputs]: pulumi.Input<ConnectionInputs[K]> };

/** The zod schema of a connection, for a provider's input schema. */
export function connectionSchema() {
  return z.object({
    url: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }),
    apiKey: z.string().min(1, "must be a non-empty API key"),
    caCert: z.string().optional(),
    insecureSkipVerify: z.boolean().optional(),
  });
}

/** A transport for a connection, or for a username and password. */
export function connect(
  c: { url: string; caCert?: string; insecureSkipVerify?: boolean },
  auth: PortainerAuth | undefined,
  extra: { setupToken?: string } = {},
): Transport {
  return createTransport({
    url: c.url,
    ...(auth ? { auth } : {}),
    tls: { ...(c.caCert !== undefined ? { caCert: c.caCert } : {}), insecureSkipVerify: c.insecureSkipVerify === true },
    ...extra,
  });
}

/** True when a value is, or contains, preview's unknown sentinel. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/**
 * `check` with a zod schema: returns the parsed inputs (defaults applied) and per-property failures.
 * `__provider` is ignored; a property that is unknown during preview is not judged.
 */
export function checkWith<T>(schema: z.ZodType<T>, news: Record<string, unknown>): pulumi.dynamic.CheckResult<T> {
  const rest = Object.fromEntries(Object.entries(news).filter(([k]) => k !== "__provider"));
  const r = schema.safeParse(rest);
  if (r.success) return { inputs: r.data };
  const failures = r.error.issues
    .filter((i) => !containsUnknown(i.path.length > 0 ? rest[String(i.path[0])] : rest))
    .map((i) => ({ property: i.path.map(String).join(".") || "inputs", reason: i.message }));
  return failures.length > 0 ? { failures } : { inputs: rest as T };
}

/** How `diff` compares one property. */
export interface DiffSpec {
  /** Properties compared for an in-place update. */
  readonly update: readonly string[];
  /** Properties whose change needs a replacement. */
  readonly replace: readonly string[];
  /** Normalisers applied to both sides before comparing. */
  readonly normalize?: Readonly<Record<string, (v: unknown) => unknown>>;
  /** Replace by deleting first (a name that must stay unique). */
  readonly deleteBeforeReplace?: boolean | ((olds: Record<string, unknown>, news: Record<string, unknown>) => boolean);
}

/**
 * Compares stored outputs (`olds`, refreshed by `read`) with new inputs after normalising. An unknown
 * input counts as a change.
 */
export function diffWith(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  spec: DiffSpec,
): pulumi.dynamic.DiffResult {
  const changed = (k: string) => {
    if (containsUnknown(news[k])) return true;
    const n = spec.normalize?.[k] ?? ((v: unknown) => v);
    return JSON.stringify(n(olds[k]) ?? null) !== JSON.stringify(n(news[k]) ?? null);
  };
  const replaces = spec.replace.filter(changed);
  const updates = spec.update.filter(changed);
  const dbr =
    typeof spec.deleteBeforeReplace === "function"
      ? spec.deleteBeforeReplace(olds, news)
      : spec.deleteBeforeReplace === true;
  return {
    changes: replaces.length + updates.length > 0,
    replaces,
    ...(replaces.length > 0 && dbr ? { deleteBeforeReplace: true } : {}),
  };
}

/** Runs a delete; an object that is already gone counts as deleted, and says so. */
export async function deleteOrGone(what: string, remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await note(`${what} was already gone`);
  }
}

/** How the admin and API-key providers log in: Portainer's URL, TLS, and the administrator's credentials. */
export interface LoginInputs {
  readonly url: string;
  readonly caCert?: string;
  readonly insecureSkipVerify?: boolean;
  readonly username: string;
  readonly password: string;
}

/** Logs a line for people; goes to the Pulumi engine's log (or the host's stdout without one). */
export async function note(message: string): Promise<void> {
  await pulumi.log.info(message);
}

/**
 * The state `read` needs. The engine sends none only for `pulumi import`, which cannot work for dynamic
 * resources (pulumi/pulumi#3550, ../shared/pulumi/ENGINELESS.md Q4); adoption by name replaces it.
 */
export function stateOf<O>(props: O | undefined, resource: string): O {
  if (props === undefined || props === null || Object.keys(props as object).length === 0) {
    throw new Error(
      `Unable to read ${resource}: pulumi import is not supported for dynamic ` +
        `resources; declare it in the program and it is adopted by name`,
    );
  }
  return props;
}

/** A `read` answer: live outputs and the inputs derived from them (the SDK types both as outputs). */
export function readResult<O>(id: string, props: O, inputs: object): pulumi.dynamic.ReadResult<O> {
  return { id, props, inputs: inputs as O };
}

/** A copy without `undefined` values, which the provider host cannot marshal (protobuf Struct). */
export function plain<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * The error a provider hands the host: the message alone. The host prints `${e}: ${e.stack}` on stderr for
 * a failed check, diff, read or delete, which the CLI shows; a stack trace is not for users. A JavaScript
 * error that is not ours (a TypeError, say) says it is an internal error, so it can be reported.
 */
export function userFacing(e: unknown): Error {
  const internal =
    e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError || e instanceof SyntaxError;
  const text = e instanceof Error ? e.message : String(e);
  const message = internal ? `internal error in phoenix's provider (please report it): ${e.name}: ${text}` : text;
  const out = new Error(message);
  Object.defineProperty(out, "stack", { value: message });
  out.toString = () => "phoenix";
  return out;
}

/** Wraps a provider so every result it hands the host is plain JSON, and every error a plain message. */
export function hostable<I, O>(p: pulumi.dynamic.ResourceProvider<I, O>): pulumi.dynamic.ResourceProvider<I, O> {
  const clean =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await f(...a);
      } catch (e) {
        throw userFacing(e);
      }
    };
  return {
    check: clean(async (olds: I, news: I) => plain(await p.check!(olds, news))),
    diff: clean(async (id: string, olds: O, news: I) => p.diff!(id, olds, news)),
    create: clean(async (inputs: I) => plain(await p.create(inputs))),
    read: clean(async (id: string, state?: O) => {
      try {
        return plain(await p.read!(id, state));
      } catch (e) {
        // A revoked key cannot read anything: keep the last known state, and let the key's own read
        // report it gone, so that refresh finishes and the next up makes a new key.
        if (!isKeyRefused(e) || state === undefined) throw e;
        const name = (state as Record<string, unknown>)["name"];
        const what = typeof name === "string" ? `${name} (id ${id})` : `id ${id}`;
        await pulumi.log.warn(
          `Kept the last known state of ${what}: Portainer refused phoenix's API key (revoked or deleted outside ` +
            `Pulumi); the next pulumi up creates a new key`,
        );
        return plain({ id, props: state });
      }
    }),
    update: clean(async (id: string, olds: O, news: I) => plain(await p.update!(id, olds, news))),
    delete: clean(async (id: string, props: O) => p.delete!(id, props)),
  };
}
