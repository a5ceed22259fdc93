/**
 * The provider Pulumi stores in each Portainer resource's `__provider`: a loader of about 3 KB that, in
 * the dynamic-provider host, loads phoenix's provider code from the project (`registry.ts`, compiled by
 * ts-node) and forwards every call to it (ADR 011). Serializing the providers themselves stored 25 to
 * 35 KB of code per resource.
 *
 * Everything the loader's functions use is inside them or a captured string: Pulumi serializes the
 * closure, not this module.
 */
// The loader runs in the host, where only require reaches the project.
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as tsNode from "ts-node";

/**
 * The resource types the registry serves, as in the token `pulumi-nodejs:dynamic/portainer:<type>`, and
 * `Snapshot` (`pulumi-nodejs:dynamic/proxmox:Snapshot`, providers/proxmox/snapshot.ts).
 */
export type ProviderType =
  "Admin" | "ApiKey" | "Tag" | "EndpointGroup" | "Environment" | "Stack" | "DockerConfig" | "DockerSecret" | "Snapshot";

/** In every loader's text, so that a provider serialized before ADR 011 can be told apart. */
export const LOADER_MARK = "phoenix-provider-loader/1";

/** The project file the loader requires, relative to the project directory. */
export const REGISTRY_FILE = "providers/portainer/registry.ts";

/**
 * A provider for `type` that loads the project's code at run time. It looks in the host's working
 * directory (the engine runs the host in the project directory) and then where the project was when the
 * program ran. A resource whose `__provider` predates the loader (a full serialized provider) gets one
 * update that sends no request, so that its state is rewritten with the loader.
 */
export function runtimeProvider<I, O>(type: ProviderType): pulumi.dynamic.ResourceProvider<I, O> {
  const projectDir = path.resolve(__dirname, "..", "..");
  const mark = LOADER_MARK;
  const file = REGISTRY_FILE;
  type Impl = Required<pulumi.dynamic.ResourceProvider>;
  const load = (): Impl => {
    // Found and required once per process; every later call looks it up.
    const slot = Symbol.for(mark);
    const host = globalThis as unknown as Record<symbol, Record<string, Impl> | undefined>;
    const known = host[slot]?.[type];
    if (known !== undefined) return known;
    const p = require("node:path") as typeof path;
    const files = require("node:fs") as typeof fs;
    const roots = [...new Set([process.cwd(), projectDir])];
    const root = roots.find((r) => files.existsSync(p.join(r, file)));
    const fail = (message: string) => {
      const e = new Error(message);
      Object.defineProperty(e, "stack", { value: message });
      e.toString = () => "phoenix";
      return e;
    };
    if (root === undefined) {
      throw fail(
        `Unable to load phoenix's provider code: ${file} is not in ${roots.join(" or ")}; run pulumi in ` +
          `the phoenix project directory, after npm ci (${mark})`,
      );
    }
    const registered = (process as unknown as Record<symbol, unknown>)[Symbol.for("ts-node.register.instance")];
    if (registered === undefined) {
      const ts = require(require.resolve("ts-node", { paths: [root] })) as typeof tsNode;
      ts.register({ transpileOnly: true, project: p.join(root, "tsconfig.json") });
    }
    const registry = require(p.join(root, file)) as { PROVIDERS: Record<string, Impl> };
    host[slot] = registry.PROVIDERS;
    const impl = registry.PROVIDERS[type];
    if (impl === undefined) throw fail(`phoenix's provider code in ${root} has no provider for ${type}`);
    return impl;
  };
  type Props = Record<string, unknown>;
  const legacy = (props: unknown) => {
    const code = (props as Props | undefined)?.["__provider"];
    return typeof code === "string" && !code.includes(mark);
  };
  const outputsOf = (olds: Props) => Object.fromEntries(Object.entries(olds).filter(([k]) => k !== "__provider"));
  return {
    check: async (olds, news) => load().check(olds, news),
    diff: async (id, olds, news) => {
      const r = await load().diff(id, olds, news);
      return r.changes === false && legacy(olds) ? { changes: true, replaces: [] } : r;
    },
    create: async (inputs) => load().create(inputs),
    read: async (id, props) => load().read(id, props),
    update: async (id, olds, news) => {
      const impl = load();
      const onlyLoader = legacy(olds) && (await impl.diff(id, olds, news)).changes === false;
      return onlyLoader ? { outs: outputsOf(olds as Props) } : impl.update(id, olds, news);
    },
    delete: async (id, props) => load().delete(id, props),
  } as pulumi.dynamic.ResourceProvider<I, O>;
}
