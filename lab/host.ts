/**
 * Pulumi's real dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`), spawned and spoken to over
 * gRPC the way the engine does (../shared/pulumi/ENGINELESS.md Q3): Configure with namespaced config,
 * secrets stripped before each call (the host does not accept secrets) and re-annotated on the results,
 * an empty Struct for nil state. Used by the lab and by the tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/* eslint-disable @typescript-eslint/no-require-imports -- generated gRPC modules ship without typings */
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

type Props = Record<string, unknown>;

/** The engine's secret wrapper (sdk/nodejs/runtime/rpc.ts). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Props)[SECRET_SIG] === SECRET_VALUE;
}

export function secret(value: unknown): Props {
  return { [SECRET_SIG]: SECRET_VALUE, value };
}

/** Removes secret wrappers, as the engine does for a provider that does not accept secrets. */
export function stripSecrets(v: unknown): unknown {
  if (isSecret(v)) return stripSecrets(v.value);
  if (Array.isArray(v)) return v.map(stripSecrets);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stripSecrets(x)]));
  return v;
}

/** Marks an output secret when the input under the same key was (annotateSecrets in provider_plugin.go). */
export function annotateSecrets(outputs: Props, inputs: Props): Props {
  return Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [k, isSecret(inputs[k]) && !isSecret(v) ? secret(v) : v]),
  );
}

export function urnOf(type: string, name: string, stack = "dev", project = "phoenix"): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

export type DiffChanges = "unknown" | "none" | "some";

/** Pulumi's real dynamic-provider host, spoken to over gRPC. */
export class DynamicProviderHost {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: { close(): void } & Record<
      string,
      (req: unknown, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void
    >,
    /** Everything the host printed on stdout after its port (provider logs). */
    readonly stdout: string[],
    /** Everything the host printed on stderr (the echo of failed calls). */
    readonly stderr: string[],
    private readonly listeners: ((line: string) => void)[],
  ) {}

  /** Calls `f` with each line providers log from now on (`info: [runtime] ...`, as `pulumi.log` prints them). */
  onLog(f: (line: string) => void): void {
    this.listeners.push(f);
  }

  /** Spawns the host in `projectDir` (serialized providers resolve their requires from there). */
  static async start(projectDir: string, project = "phoenix"): Promise<DynamicProviderHost> {
    const child = spawn(
      process.execPath,
      [require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js"), "127.0.0.1:1"],
      {
        cwd: projectDir,
        env: { ...process.env, PULUMI_NODEJS_PROJECT: project },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const stdout: string[] = [];
    const stderr: string[] = [];
    const listeners: ((line: string) => void)[] = [];
    let port: string | undefined;
    child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
    const address = await new Promise<string>((resolve, reject) => {
      let buf = "";
      child.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const l of lines) {
          if (port === undefined) port = l.trim();
          else {
            stdout.push(l);
            listeners.forEach((f) => f(l));
          }
        }
        if (port !== undefined) resolve(port);
      });
      child.on("exit", (code) => reject(new Error(`dynamic-provider host exited with ${code}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${address}`, grpc.credentials.createInsecure());
    return new DynamicProviderHost(child, client, stdout, stderr, listeners);
  }

  private rpc<T>(method: string, req: unknown): Promise<T> {
    const before = this.stderr.length;
    return new Promise((resolve, reject) =>
      this.client[method]!(req, (e, r) => {
        if (!e) return resolve(r as T);
        // The host echoes a failed call on stderr as `${e}: ${e.stack}` (phoenix's providers make that
        // `phoenix: <message>`). Keep anything else it printed, without stack frames.
        const printed = hostStderr(this.stderr.slice(before).join(""), e.details);
        reject(
          Object.assign(new Error(`${e.details}${printed ? `\n[host stderr] ${printed.slice(0, 2000)}` : ""}`), {
            code: e.code,
          }),
        );
      }),
    );
  }

  /** Configure with the stack's whole config under namespaced keys, as the engine sends it. */
  async configure(config: Props): Promise<{ acceptSecrets: boolean; supportsPreview: boolean }> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(Struct.fromJavaScript(stripSecrets(config) as Record<string, never>));
    req.setAcceptsecrets(true);
    const r = await this.rpc<{ getAcceptsecrets(): boolean; getSupportspreview(): boolean }>("configure", req);
    return { acceptSecrets: r.getAcceptsecrets(), supportsPreview: r.getSupportspreview() };
  }

  async check(
    urn: string,
    olds: Props,
    news: Props,
  ): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    req.setRandomseed(new Uint8Array(32));
    const r = await this.rpc<{
      getInputs(): Struct | undefined;
      getFailuresList(): { getProperty(): string; getReason(): string }[];
    }>("check", req);
    return {
      inputs: annotateSecrets((r.getInputs()?.toJavaScript() ?? {}) as Props, news),
      failures: r.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(
    id: string,
    urn: string,
    oldInputs: Props,
    olds: Props,
    news: Props,
  ): Promise<{ changes: DiffChanges; replaces: string[]; deleteBeforeReplace: boolean }> {
    const req = new provproto.DiffRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setOldInputs(struct(oldInputs));
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const r = await this.rpc<{ getChanges(): number; getReplacesList(): string[]; getDeletebeforereplace(): boolean }>(
      "diff",
      req,
    );
    return {
      changes: (["unknown", "none", "some"] as const)[r.getChanges()]!,
      replaces: r.getReplacesList(),
      deleteBeforeReplace: r.getDeletebeforereplace(),
    };
  }

  async create(urn: string, inputs: Props, preview = false): Promise<{ id: string; properties: Props }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(struct(inputs));
    req.setPreview(preview);
    const r = await this.rpc<{ getId(): string; getProperties(): Struct | undefined }>("create", req);
    return { id: r.getId(), properties: annotateSecrets((r.getProperties()?.toJavaScript() ?? {}) as Props, inputs) };
  }

  /** Read as on refresh: prior outputs as state. `state` undefined sends nil as the engine does: an empty Struct. */
  async read(
    id: string,
    urn: string,
    state: Props | undefined,
    inputs: Props | undefined,
  ): Promise<{ id: string; properties: Props; inputs: Props | undefined }> {
    const req = new provproto.ReadRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setProperties(struct(state ?? {}));
    if (inputs) req.setInputs(struct(inputs));
    const r = await this.rpc<{ getId(): string; getProperties(): Struct | undefined; getInputs(): Struct | undefined }>(
      "read",
      req,
    );
    const basis = state ?? {};
    return {
      id: r.getId(),
      properties: annotateSecrets((r.getProperties()?.toJavaScript() ?? {}) as Props, basis),
      inputs: r.getInputs() ? annotateSecrets(r.getInputs()!.toJavaScript() as Props, inputs ?? basis) : undefined,
    };
  }

  async update(id: string, urn: string, oldInputs: Props, olds: Props, news: Props): Promise<{ properties: Props }> {
    const req = new provproto.UpdateRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setOldInputs(struct(oldInputs));
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const r = await this.rpc<{ getProperties(): Struct | undefined }>("update", req);
    return { properties: annotateSecrets((r.getProperties()?.toJavaScript() ?? {}) as Props, news) };
  }

  async delete(id: string, urn: string, oldInputs: Props, properties: Props): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setOldInputs(struct(oldInputs));
    req.setProperties(struct(properties));
    await this.rpc("delete", req);
  }

  async close(): Promise<void> {
    this.client.close();
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill();
    await exited;
  }
}

/** What the host printed on stderr for a failed call, less the echo of its message and any stack frames. */
export function hostStderr(printed: string, message: string): string {
  return printed
    .split(`phoenix: ${message}`)
    .join("")
    .split("\n")
    .filter((l) => l.trim() !== "" && !/^\s+at /.test(l))
    .join("\n")
    .trim();
}

function struct(v: Props): Struct {
  return Struct.fromJavaScript(stripSecrets(v) as Record<string, never>);
}
