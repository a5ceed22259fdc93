/**
 * Runs phoenix components or the whole program under `pulumi.runtime.setMocks` and records every
 * resource: type, name, parent and explicit `dependsOn` (from a stack transformation, as mock arguments
 * carry no parent), and the inputs the engine would receive (secrets still wrapped).
 */
import { tlsMockOutputs } from "./tlsMocks";
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly parent: string | undefined;
  /** Explicit `dependsOn`, each as `<short type>:<name>` (e.g. `Container:phoenix-portainer`). */
  readonly dependsOn: string[];
  /** The resource options the engine acts on, `replaceWith` as `<short type>:<name>`. */
  readonly options: {
    deleteBeforeReplace: boolean | undefined;
    ignoreChanges: string[];
    import: string | undefined;
    replaceWith: string[];
    protect: boolean | undefined;
  };
  inputs: Record<string, unknown>;
}

/** Outputs the mocks give dynamic resources, as their providers would. */
function mockOutputs(type: string, counters: Map<string, number>): Record<string, unknown> {
  const next = (k: string) => {
    const n = (counters.get(k) ?? 0) + 1;
    counters.set(k, n);
    return n;
  };
  switch (type) {
    case "pulumi-nodejs:dynamic/portainer:Environment":
      return { environmentId: next("environment"), type: 2 };
    case "pulumi-nodejs:dynamic/portainer:Stack":
      return { stackId: next("stack"), swarmId: "" };
    case "pulumi-nodejs:dynamic/portainer:ApiKey":
      return { apiKey: "ptr_mocked-api-key", keyId: 1, userId: 1, prefix: "ptr_moc" };
    case "pulumi-nodejs:dynamic/portainer:Admin":
      return { userId: 1, created: true };
    case "random:index/randomPassword:RandomPassword":
      return { result: "mocked-agent-secret" };
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: "sha256:mocked" };
    case "command:remote:Command":
      return { stdout: "done", stderr: "" };
    case "time:index/static:Static":
      return { unix: 1764633600 };
    default:
      return {};
  }
}

/**
 * Runs `build` with a `transformations` option to pass to the top component: it applies to that
 * resource and all its children, recording each one.
 */
export async function recordResources(
  build: (opts: pulumi.ComponentResourceOptions) => void | Promise<void>,
  config: { config: Record<string, string>; secretKeys: string[] } = { config: {}, secretKeys: [] },
  stack = "dev",
): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const byResource = new Map<pulumi.Resource, Recorded>();
  const counters = new Map<string, number>();
  pulumi.runtime.setAllConfig(config.config, config.secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        const r = recorded.find((x) => x.type === a.type && x.name === a.name);
        if (r) r.inputs = a.inputs as Record<string, unknown>;
        return {
          id: `${a.name}-id`,
          state: { ...(a.inputs as object), ...mockOutputs(a.type, counters), ...tlsMockOutputs(a.type, a.name) },
        };
      },
      call: (a) => a.inputs,
    },
    "phoenix",
    stack,
    false,
  );
  const recorder: pulumi.ResourceTransformation = (a) => {
    const deps = Array.isArray(a.opts.dependsOn) ? (a.opts.dependsOn as pulumi.Resource[]) : [];
    const label = (d: pulumi.Resource) => {
      const x = byResource.get(d);
      return x ? `${x.type.split(":").pop()}:${x.name}` : "?";
    };
    const custom = a.opts as pulumi.CustomResourceOptions;
    const r: Recorded = {
      type: a.type,
      name: a.name,
      parent: a.opts.parent ? byResource.get(a.opts.parent)?.name : undefined,
      dependsOn: deps.map(label),
      options: {
        deleteBeforeReplace: custom.deleteBeforeReplace,
        ignoreChanges: [...(custom.ignoreChanges ?? [])],
        import: custom.import,
        replaceWith: (a.opts.replaceWith ?? []).map(label),
        protect: a.opts.protect,
      },
      inputs: {},
    };
    byResource.set(a.resource, r);
    recorded.push(r);
    return undefined;
  };
  await build({ transformations: [recorder] });
  // Registrations settle asynchronously: wait until every custom resource received its inputs.
  for (let i = 0; i < 300; i++) {
    await new Promise((res) => setTimeout(res, 10));
    if (recorded.length > 0 && recorded.every((r) => !isCustom(r.type) || Object.keys(r.inputs).length > 0)) break;
  }
  return recorded;
}

function isCustom(type: string): boolean {
  return !type.startsWith("phoenix:");
}

/** Resolves an Output for assertions. */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}
