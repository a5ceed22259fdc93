/**
 * Reads what `verify` compares: the server's version, the environments, the stacks and each expected stack's
 * containers (through Portainer's Docker proxy, by the compose project label), with one Portainer client.
 */
import { createPortainerClient, type PortainerClientOptions } from "../providers/portainer/client";
import { containerHealth, type ExpectedSite, type Observed, type ObservedStack } from "./checks";

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function observe(x: ExpectedSite, options: PortainerClientOptions): Promise<Observed> {
  const client = createPortainerClient({ retry: { attempts: 2 }, timeoutMs: 10_000, ...options });
  try {
    let version: string;
    try {
      // The identity check: the API key goes only to a server that answered as Portainer.
      version = await client.version();
    } catch (e) {
      return { server: { error: message(e) } };
    }
    let environments, stacks;
    try {
      [environments, stacks] = await Promise.all([client.listEnvironments(), client.listStacks()]);
    } catch (e) {
      return { server: { version }, api: { error: message(e) }, environments: [], stacks: [] };
    }
    const wanted = new Set(x.stacks.map((s) => s.name));
    const observedStacks: ObservedStack[] = [];
    for (const s of stacks) {
      let containers: ObservedStack["containers"] = [];
      if (wanted.has(s.Name)) {
        try {
          containers = (await client.listProjectContainers(s.EndpointId, s.Name)).map((c) => ({
            name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ""),
            service: c.Labels["com.docker.compose.service"] ?? "",
            state: c.State,
            status: c.Status,
            health: containerHealth(c.Status, c.Health?.Status),
          }));
        } catch (e) {
          containers = { error: message(e) };
        }
      }
      observedStacks.push({
        id: s.Id,
        name: s.Name,
        endpointId: s.EndpointId,
        status: s.Status,
        variables: s.Env.map((v) => v.name),
        containers,
      });
    }
    return {
      server: { version },
      api: undefined,
      environments: environments.map((e) => ({
        id: e.Id,
        name: e.Name,
        url: e.URL,
        status: e.Status,
        agentVersion: e.Agent.Version,
      })),
      stacks: observedStacks,
    };
  } finally {
    await client.close();
  }
}
