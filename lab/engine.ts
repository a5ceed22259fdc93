/**
 * The lab engine: runs the real program (index.ts) under `pulumi.runtime.setMocks` and plays the Pulumi
 * engine for it. Dynamic resources go through Pulumi's real dynamic-provider host over gRPC as the engine
 * would run them (Check, then Create; or Diff, then Update, or a replacement, or nothing); Proxmox,
 * Docker, command and random resources are simulated (recorded with their inputs, given deterministic
 * outputs). Resources that left the program are deleted, dependants first. State is a JSON file.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { DynamicProviderHost } from "./host";
import { isSecret, secret, stripSecrets } from "./host";
import type { RealGuests } from "./guests";
import { COMMAND_TYPE, CT_TYPE, PROVIDER_TYPE, VM_TYPE, type ProxmoxSimulation } from "./proxmox/simulator";
import { isTlsType, readyForRenewal, tlsOutputs } from "./tls";
import { dependantsFirst, saveState, type LabResource, type LabState } from "./state";

export type Action = "create" | "update" | "replace" | "delete" | "same" | "read" | "drift" | "gone";

/** One line of the report. */
export interface Step {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly action: Action;
  /** Input properties that differ (for update, replace and drift). */
  readonly changes?: string[];
  /** What the simulated Proxmox says about this step: reboots, replacements, waits, defaults applied. */
  readonly notes?: string[];
  /** A step of the refresh that `up` and `preview` run first. */
  readonly refresh?: boolean;
  readonly durationMs: number;
}

export interface EngineOptions {
  readonly mode: "up" | "preview";
  readonly stack: string;
  readonly state: LabState;
  readonly stateFile: string;
  readonly host: DynamicProviderHost;
  /** Loads the program (imports index.ts). */
  readonly loadProgram: () => Promise<void>;
  /** Runtime config (`PULUMI_CONFIG` form) and its secret keys. */
  readonly config: { config: Record<string, string>; secretKeys: string[] };
  /** Called for each step as it completes. */
  readonly onStep: (s: Step) => void;
  /** Resource types to simulate with fixed outputs instead of running their provider. */
  readonly simulated?: Readonly<Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>>;
  /** The simulated Proxmox host: checks and plans Proxmox guests and the SSH commands that set them up. */
  readonly proxmox?: ProxmoxSimulation;
  /** With `--guests real`: guests boot as real systems and the SSH commands run on them. */
  readonly guests?: RealGuests;
  /** Rewrites a dynamic resource's inputs before its provider sees them (the lab's fake Proxmox API). */
  readonly rewriteInputs?: (type: string, inputs: Record<string, unknown>) => Record<string, unknown>;
  /** The lab's Proxmox API, told which guests exist (snapshots need their guest). */
  readonly proxmoxApi?: {
    addGuest(node: string, kind: "qemu" | "lxc", vmid: number): void;
    removeGuest(node: string, kind: "qemu" | "lxc", vmid: number): void;
  };
}

/** What a delete of a command without a `delete` script does on the host: nothing. */
export const NO_DELETE_NOTE = "no delete command: what it made stays (nothing runs on delete)";

const DYNAMIC = "pulumi-nodejs:dynamic/";

/** JSON with sorted keys, for comparing inputs. */
export function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v ?? null);
}

/** Top-level input keys whose values differ (the provider's `__provider` aside). */
export function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete("__provider");
  return [...keys].filter((k) => stable(stripSecrets(a[k])) !== stable(stripSecrets(b[k]))).sort();
}

/** Deterministic outputs of a simulated resource, as its provider would add them. */
export function simulatedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  stack: string,
): Record<string, unknown> {
  const h = (s: string) => crypto.createHash("sha256").update(`${stack}/${type}/${name}/${s}`).digest("hex");
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
      return { result: secret(h("result").slice(0, Number(inputs["length"] ?? 32))) };
    case "docker:index/remoteImage:RemoteImage":
      return {
        imageId: `sha256:${h(stable(inputs["name"]))}`,
        repoDigest: `${String(inputs["name"])}@sha256:${h("digest")}`,
      };
    case "command:remote:Command":
      return { stdout: "done (simulated by the lab)", stderr: "" };
    case "proxmoxve:user/token:Token":
      // Proxmox shows a token's value once, at creation.
      return { value: secret(`${String(inputs["userId"])}!${String(inputs["tokenName"])}=${h("value").slice(0, 36)}`) };
    case "time:index/static:Static": {
      // The time it was created (or replaced by its triggers): now, as the time provider records it.
      const now = new Date();
      return { unix: Math.floor(now.getTime() / 1000), rfc3339: now.toISOString().replace(/\.\d+Z$/, "Z") };
    }
    default:
      return {};
  }
}

/** The engine's marker for a value unknown during preview (sdk/nodejs/runtime/rpc.ts). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The SDK hands mocks its own `unknown` object in preview; the engine sends providers the sentinel string. */
export function withUnknowns(v: unknown): unknown {
  if (pulumi.isUnknown(v)) return UNKNOWN;
  if (Array.isArray(v)) return v.map(withUnknowns);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withUnknowns(x)]));
  return v;
}

/** Marks outputs secret as the engine does for `additionalSecretOutputs`. */
export function markSecret(
  outputs: Record<string, unknown>,
  keys: readonly string[] | undefined,
): Record<string, unknown> {
  if (!keys || keys.length === 0) return outputs;
  return Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [k, keys.includes(k) && !isSecret(v) ? secret(v) : v]),
  );
}

/** Runs the program once; returns the steps taken. Throws on a provider error (state is saved as far as it got). */
export async function runProgram(o: EngineOptions): Promise<Step[]> {
  const steps: Step[] = [];
  const seen = new Set<string>();
  const pendingDeletes: LabResource[] = [];
  const byUrn = () => new Map(o.state.resources.map((r) => [r.urn, r]));
  const registered = new Map<
    string,
    {
      urn: string;
      dependencies: string[];
      secretOutputs: string[];
      deleteBeforeReplace: boolean;
      ignoreChanges: string[];
      importId: string;
      replaceWith: string[];
      protect: boolean;
    }
  >();
  // URNs replaced in this run, for `replaceWith`.
  const replaced = new Set<string>();
  // The mock monitor's URN keeps only the parent's own type; Pulumi's qualifies a type with the whole
  // parent chain (Site$DockerStack$Stack). Map the mock's URNs to the engine's.
  const fullUrn = new Map<string, string>();
  const preview = o.mode === "preview";
  // A command that checks a Docker resource (the agent's port) cannot run for real: Docker stays simulated.
  const onSimulatedDocker = (deps: readonly string[]) =>
    deps.some((d) => /::docker:index\//.test(d) || /\$docker:index\//.test(d));
  // The Proxmox node itself is simulated too: its commands (datasets, exports) never run on a real guest.
  let nodeHost = "";
  const onNode = (inputs: Record<string, unknown>) =>
    nodeHost !== "" &&
    String((stripSecrets(inputs["connection"]) as { host?: unknown } | undefined)?.host ?? "") === nodeHost;

  const record = (s: Step) => {
    steps.push(s);
    o.onStep(s);
  };
  const put = (r: LabResource) => {
    // The protect flag as this run registers it.
    const rec: LabResource = { ...r };
    if (registered.get(`${r.type}::${r.name}`)?.protect === true) rec.protect = true;
    else delete rec.protect;
    o.state.resources = [...o.state.resources.filter((x) => x.urn !== r.urn), rec];
    if (!preview) saveState(o.stateFile, o.state);
  };
  // Pulumi refuses to replace a resource protected before and after (it allows unprotecting and
  // replacing in one run): pkg/resource/deploy/step_generator.go.
  const refuseProtectedReplace = (urn: string, old: LabResource | undefined, protect: boolean | undefined) => {
    if (old?.protect === true && protect === true) {
      throw new Error(
        `unable to replace resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, ` +
          "remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`",
      );
    }
  };

  // A failed step fails the run. Under mocks the SDK only reports it as a rejected registration, and
  // everything that depended on it never registers: collect the errors and raise them after the program.
  const failures: string[] = [];
  pulumi.runtime.setAllConfig(o.config.config, o.config.secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource: (a) =>
        step(a).catch((e: unknown) => {
          failures.push(`${a.type} ${a.name}: ${(e as Error).message ?? String(e)}`);
          throw e;
        }),
      call: (a) => a.inputs,
    },
    "phoenix",
    o.stack,
    preview,
  );

  async function step(
    a: pulumi.runtime.MockResourceArgs,
  ): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    {
      const reg = registered.get(`${a.type}::${a.name}`);
      const urn = reg?.urn ?? `urn:pulumi:${o.stack}::phoenix::${a.type}::${a.name}`;
      if (!a.custom) return { id: undefined, state: {} };
      seen.add(urn);
      const inputs = withUnknowns(a.inputs) as Record<string, unknown>;
      const old = byUrn().get(urn);
      // Pulumi writes a changed protect flag even when nothing else changes (a same step).
      if (old && !preview && (old.protect === true) !== (reg?.protect === true)) put(old);
      const started = Date.now();
      const simulate = o.simulated?.[a.type];
      if (a.type === PROVIDER_TYPE) {
        const endpoint = String((stripSecrets(inputs) as Record<string, unknown>)["endpoint"] ?? "");
        nodeHost = endpoint ? new URL(endpoint).hostname : "";
      }
      if (o.proxmox?.handles(a.type)) {
        const out = o.proxmox.register({
          type: a.type,
          name: a.name,
          urn,
          inputs,
          old,
          state: o.state,
          options: {
            deleteBeforeReplace: reg?.deleteBeforeReplace ?? false,
            ignoreChanges: reg?.ignoreChanges ?? [],
            importId: reg?.importId ?? "",
            replacedWith: (reg?.replaceWith ?? []).some((u) => replaced.has(u)),
          },
        });
        if (out) {
          if (out.action === "replace") refuseProtectedReplace(urn, old, reg?.protect);
          if (out.refusal) throw out.refusal;
          if (out.action === "replace") replaced.add(urn);
          const guestKind = a.type === VM_TYPE ? ("qemu" as const) : ("lxc" as const);
          if (!preview && o.proxmoxApi && (a.type === VM_TYPE || a.type === CT_TYPE) && out.action !== "same") {
            const node = String(out.inputs["nodeName"]);
            // A replaced guest is a new guest: Proxmox destroyed the old one with its snapshots.
            if (out.action === "replace") o.proxmoxApi.removeGuest(node, guestKind, Number(out.inputs["vmId"]));
            o.proxmoxApi.addGuest(node, guestKind, Number(out.inputs["vmId"]));
          }
          const template = out.inputs["template"] === true;
          if (!preview && o.guests && !template && (a.type === VM_TYPE || a.type === CT_TYPE)) {
            const kind = a.type === VM_TYPE ? "vm" : "lxc";
            const ip = String(
              (
                (out.inputs["initialization"] as Record<string, unknown> | undefined)?.["ipConfigs"] as
                  { ipv4?: { address?: string } }[] | undefined
              )?.[0]?.ipv4?.address ?? "",
            ).split("/")[0]!;
            if (out.action !== "same" || !(await o.guests.address(ip))) await o.guests.boot(kind, out.inputs);
          }
          const notes = out.notes.length > 0 ? { notes: out.notes } : {};
          record({
            urn,
            type: a.type,
            name: a.name,
            action: out.action,
            ...(out.changes ? { changes: out.changes } : {}),
            ...notes,
            durationMs: Date.now() - started,
          });
          if (out.action !== "same")
            put({
              urn,
              type: a.type,
              name: a.name,
              dynamic: false,
              id: out.id,
              inputs: out.inputs,
              outputs: out.outputs,
              dependencies: reg?.dependencies ?? [],
            });
          return { id: out.id, state: out.outputs };
        }
        if (old && (reg?.replaceWith ?? []).some((u) => replaced.has(u))) {
          refuseProtectedReplace(urn, old, reg?.protect);
          const real =
            !preview &&
            o.guests &&
            a.type === COMMAND_TYPE &&
            !onSimulatedDocker(reg?.dependencies ?? []) &&
            !onNode(inputs)
              ? await o.guests.command(a.name, inputs)
              : undefined;
          const outputs = { ...inputs, ...simulatedOutputs(a.type, a.name, inputs, o.stack), ...(real ?? {}) };
          replaced.add(urn);
          record({
            urn,
            type: a.type,
            name: a.name,
            action: "replace",
            changes: ["replaceWith"],
            durationMs: Date.now() - started,
          });
          put({
            urn,
            type: a.type,
            name: a.name,
            dynamic: false,
            id: old.id,
            inputs,
            outputs,
            dependencies: reg?.dependencies ?? [],
          });
          return { id: old.id, state: outputs };
        }
      }
      if (!a.type.startsWith(DYNAMIC) || simulate) {
        // A TLS resource is replaced by any change, and a certificate when it is due for renewal.
        const tlsType = isTlsType(a.type);
        const due = tlsType && old !== undefined && readyForRenewal(old.outputs);
        const same = old !== undefined && stable(old.inputs) === stable(inputs) && !due;
        // With real guests, a command that would run runs, over SSH; its outputs are what it printed.
        const real =
          !same &&
          !preview &&
          o.guests &&
          a.type === COMMAND_TYPE &&
          !onSimulatedDocker(reg?.dependencies ?? []) &&
          !onNode(inputs)
            ? await o.guests.command(a.name, inputs)
            : undefined;
        const outputs = same
          ? old.outputs
          : markSecret(
              {
                ...inputs,
                ...simulatedOutputs(a.type, a.name, inputs, o.stack),
                ...(tlsType && !preview ? tlsOutputs(a.type, inputs) : {}),
                ...(simulate ? simulate(inputs) : {}),
                ...(real ?? {}),
              },
              reg?.secretOutputs,
            );
        // A Docker container changed in any way is replaced, with a new id (kreuzwerker/docker).
        const replacedContainer = !same && (a.type === "docker:index/container:Container" || (tlsType && !!old));
        if (replacedContainer) refuseProtectedReplace(urn, old, reg?.protect);
        if (replacedContainer && tlsType) replaced.add(urn);
        const id = replacedContainer
          ? `${a.name}-${crypto
              .createHash("sha256")
              .update(stable(inputs) + (tlsType ? String(Date.now()) : ""))
              .digest("hex")
              .slice(0, 12)}`
          : (old?.id ?? `${a.name}-lab`);
        record({
          urn,
          type: a.type,
          name: a.name,
          action: !old ? "create" : same ? "same" : tlsType ? "replace" : "update",
          ...(old && !same ? { changes: due ? ["readyForRenewal"] : changedKeys(old.inputs, inputs) } : {}),
          ...(due ? { notes: ["ready for renewal: the certificate is within earlyRenewalHours of its end"] } : {}),
          durationMs: Date.now() - started,
        });
        if (!same)
          put({
            urn,
            type: a.type,
            name: a.name,
            dynamic: false,
            id,
            inputs,
            outputs,
            dependencies: reg?.dependencies ?? [],
          });
        return { id, state: outputs };
      }
      const given = o.rewriteInputs ? o.rewriteInputs(a.type, inputs) : inputs;
      const checked = await o.host.check(urn, old?.inputs ?? {}, given);
      if (checked.failures.length > 0) {
        throw new Error(
          `${a.type} ${a.name}: invalid inputs: ` +
            `${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
        );
      }
      const news = checked.inputs;
      const keep = (r: LabResource) => ({ id: r.id, state: r.outputs });
      const create = async (action: Action, changes?: string[]) => {
        if (preview) {
          record({ urn, type: a.type, name: a.name, action, ...(changes ? { changes } : {}), durationMs: 0 });
          return old ? keep(old) : { id: undefined, state: {} };
        }
        const c = await o.host.create(urn, news);
        const outputs = markSecret(c.properties, reg?.secretOutputs);
        put({
          urn,
          type: a.type,
          name: a.name,
          dynamic: true,
          id: c.id,
          inputs: news,
          outputs,
          dependencies: reg?.dependencies ?? [],
          secretOutputs: reg?.secretOutputs ?? [],
        });
        record({
          urn,
          type: a.type,
          name: a.name,
          action,
          ...(changes ? { changes } : {}),
          durationMs: Date.now() - started,
        });
        return { id: c.id, state: outputs };
      };
      if (!old) return create("create");
      // replaceWith: replaced with a resource it names, as Pulumi does, whatever its provider's diff says.
      if ((reg?.replaceWith ?? []).some((u) => replaced.has(u))) {
        refuseProtectedReplace(urn, old, reg?.protect);
        if (!preview && reg?.deleteBeforeReplace) await o.host.delete(old.id, urn, old.inputs, old.outputs);
        else if (!preview) pendingDeletes.push(old);
        replaced.add(urn);
        return create("replace", ["replaceWith"]);
      }
      const diff = await o.host.diff(old.id, urn, old.inputs, old.outputs, news);
      const changes = changedKeys(old.inputs, news);
      if (diff.changes === "none") {
        record({ urn, type: a.type, name: a.name, action: "same", durationMs: Date.now() - started });
        return keep(old);
      }
      if (diff.replaces.length > 0) {
        refuseProtectedReplace(urn, old, reg?.protect);
        if (!preview && diff.deleteBeforeReplace) await o.host.delete(old.id, urn, old.inputs, old.outputs);
        else if (!preview) pendingDeletes.push(old);
        return create("replace", diff.replaces);
      }
      if (preview) {
        record({ urn, type: a.type, name: a.name, action: "update", changes, durationMs: 0 });
        return keep(old);
      }
      const u = await o.host.update(old.id, urn, old.inputs, old.outputs, news);
      const outputs = markSecret(u.properties, reg?.secretOutputs);
      put({
        ...old,
        inputs: news,
        outputs,
        dependencies: reg?.dependencies ?? old.dependencies,
        secretOutputs: reg?.secretOutputs ?? old.secretOutputs,
      });
      record({ urn, type: a.type, name: a.name, action: "update", changes, durationMs: Date.now() - started });
      return { id: old.id, state: outputs };
    }
  }

  // The mock monitor computes each URN from the parent's but does not pass it on: capture it, with the
  // dependencies the SDK sends (parent, explicit and property dependencies).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor(): Record<string, unknown>;
    waitForRPCs(): Promise<void>;
  };
  const monitor = settings.getMonitor() as {
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RegisterRequest, cb: unknown): Promise<void>;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
    const parent = req.getParent() ? (fullUrn.get(req.getParent()) ?? req.getParent()) : "";
    const qualified = parent ? `${parent.split("::")[2]}$${req.getType()}` : req.getType();
    const urn = `urn:pulumi:${o.stack}::phoenix::${qualified}::${req.getName()}`;
    fullUrn.set(monitor.newUrn(req.getParent(), req.getType(), req.getName()), urn);
    const deps = new Set<string>(req.getDependenciesList().map((d) => fullUrn.get(d) ?? d));
    if (parent) deps.add(parent);
    registered.set(`${req.getType()}::${req.getName()}`, {
      urn,
      dependencies: [...deps],
      secretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
      importId: req.getImportid(),
      replaceWith: req.getReplaceWithList().map((u) => fullUrn.get(u) ?? u),
      protect: req.getProtect(),
    });
    return original(req, cb);
  };

  // An error the program itself raises (in an apply, say) rejects a promise nobody awaits. Pulumi's language
  // host fails the run on it; so does the lab, unless it is a registration failure already collected.
  const programErrors: string[] = [];
  const onRejection = (e: unknown) => programErrors.push((e as Error)?.message ?? String(e));
  process.on("unhandledRejection", onRejection);
  try {
    await o.loadProgram();
    await settings.waitForRPCs();
    // Rejections are reported after the microtasks that produced them.
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length > 0) throw new Error(failures.join("\n"));
  const unexplained = [...new Set(programErrors)].filter((m) => !failures.some((f) => f.endsWith(m)));
  if (unexplained.length > 0) throw new Error(`the program failed: ${unexplained.join("\n")}`);

  // Resources that left the program: deleted, dependants first, after the replaced ones. A protected one
  // stops the run before anything is deleted, as Pulumi's step generator does.
  const gone = o.state.resources.filter((r) => !seen.has(r.urn));
  refuseProtectedDeletes(gone);
  for (const r of [...pendingDeletes, ...dependantsFirst(gone)]) {
    const started = Date.now();
    if (gone.includes(r)) o.proxmox?.remove(r);
    if (gone.includes(r) && !preview && o.guests && (r.type === VM_TYPE || r.type === CT_TYPE))
      await o.guests.remove(r.inputs);
    if (gone.includes(r) && !preview) forgetGuest(o.proxmoxApi, r);
    if (!preview) {
      if (r.dynamic) await o.host.delete(r.id, r.urn, r.inputs, r.outputs);
      if (gone.includes(r)) {
        o.state.resources = o.state.resources.filter((x) => x.urn !== r.urn);
        saveState(o.stateFile, o.state);
      }
    }
    if (gone.includes(r)) record(deleteStep(r, started));
  }
  return steps;
}

/** A deleted guest is gone from the lab's Proxmox API, with its snapshots. */
function forgetGuest(api: EngineOptions["proxmoxApi"], r: LabResource): void {
  if (!api || (r.type !== VM_TYPE && r.type !== CT_TYPE)) return;
  api.removeGuest(String(r.inputs["nodeName"]), r.type === VM_TYPE ? "qemu" : "lxc", Number(r.inputs["vmId"]));
}

/** A delete's line, with what it leaves behind: a command without a delete script runs nothing. */
function deleteStep(r: LabResource, started: number): Step {
  const keeps = r.type === COMMAND_TYPE && r.inputs["delete"] === undefined;
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    action: "delete",
    ...(keeps ? { notes: [NO_DELETE_NOTE] } : {}),
    durationMs: Date.now() - started,
  };
}

interface RegisterRequest {
  getAdditionalsecretoutputsList(): string[];
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getImportid(): string;
  getReplaceWithList(): string[];
  getProtect(): boolean;
  getParent(): string;
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
}

/** Runs `fn` over `items` with at most `limit` at once; results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** How many reads `refresh` runs at once (Pulumi's engine also refreshes in parallel). */
export const REFRESH_PARALLELISM = 8;

/**
 * Reads every dynamic resource in state, several at once; returns the drift found, in state order, and
 * updates the state with what is live.
 */
export async function refresh(
  o: Pick<EngineOptions, "state" | "stateFile" | "host" | "onStep"> & { save?: boolean },
): Promise<Step[]> {
  const dynamic = o.state.resources.filter((r) => r.dynamic);
  const results = await mapLimit(dynamic, REFRESH_PARALLELISM, async (r) => {
    const started = Date.now();
    const live = await o.host.read(r.id, r.urn, r.outputs, r.inputs);
    if (live.id === "")
      return {
        r,
        gone: true as const,
        step: { urn: r.urn, type: r.type, name: r.name, action: "gone" as Action, durationMs: Date.now() - started },
      };
    const liveInputs = live.inputs ?? r.inputs;
    const diff = await o.host.diff(r.id, r.urn, liveInputs, live.properties, r.inputs);
    const changes = changedKeys(liveInputs, r.inputs);
    const step: Step =
      diff.changes === "none"
        ? { urn: r.urn, type: r.type, name: r.name, action: "read", durationMs: Date.now() - started }
        : // The provider may see drift the inputs do not show (an orphaned stack read again): no key list then.
          {
            urn: r.urn,
            type: r.type,
            name: r.name,
            action: "drift",
            ...(changes.length > 0 ? { changes } : {}),
            durationMs: Date.now() - started,
          };
    return { r, gone: false as const, step, outputs: markSecret(live.properties, r.secretOutputs), inputs: liveInputs };
  });
  for (const x of results) {
    if (x.gone) o.state.resources = o.state.resources.filter((y) => y.urn !== x.r.urn);
    else {
      x.r.outputs = x.outputs;
      x.r.inputs = x.inputs;
    }
    o.onStep(x.step);
  }
  if (o.save !== false) saveState(o.stateFile, o.state);
  return results.map((x) => x.step);
}

/** Pulumi's refusal to delete protected resources (`pulumi state unprotect` or an `up` without the flag first). */
export function refuseProtectedDeletes(resources: readonly LabResource[]): void {
  const protectedOnes = resources.filter((r) => r.protect === true);
  if (protectedOnes.length === 0) return;
  throw new Error(
    protectedOnes
      .map(
        (r) =>
          `unable to delete resource "${r.urn}"\nas it is currently marked for ` +
          `protection. To unprotect the resource, ` +
          "either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up` or use the " +
          `command:\n\`pulumi state unprotect '${r.urn}'\``,
      )
      .join("\n"),
  );
}

/** Deletes every resource in state, dependants first; nothing when any is protected. */
export async function destroy(
  o: Pick<EngineOptions, "state" | "stateFile" | "host" | "onStep" | "proxmox" | "proxmoxApi">,
): Promise<Step[]> {
  refuseProtectedDeletes(o.state.resources);
  const steps: Step[] = [];
  for (const r of dependantsFirst(o.state.resources)) {
    const started = Date.now();
    o.proxmox?.remove(r);
    if (r.dynamic) await o.host.delete(r.id, r.urn, r.inputs, r.outputs);
    forgetGuest(o.proxmoxApi, r);
    o.state.resources = o.state.resources.filter((x) => x.urn !== r.urn);
    saveState(o.stateFile, o.state);
    const step = deleteStep(r, started);
    steps.push(step);
    o.onStep(step);
  }
  return steps;
}
