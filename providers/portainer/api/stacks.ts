/** Stacks (CONTRACT.md 6) and the swarm id they need (7). */
import { isNotFound } from "../errors";
import type { Transport } from "../transport";
import { dockerSchemas, listOf, stackSchemas, type EnvVar, type Stack } from "../wire";

/** A stack's content: the compose file and its environment variables. */
export interface StackContent {
  readonly stackFileContent: string;
  readonly env: readonly EnvVar[];
}

/** Stack list filters (C6.4). */
export interface StackFilters {
  readonly endpointId?: number;
  readonly swarmId?: string;
  readonly includeOrphaned?: boolean;
}

/** Portainer's stack-name normalisation: lower-case, then only `[-_a-z0-9]` kept (C6.2). */
export function normalizeStackName(name: string): string {
  return name.toLowerCase().replace(/[^-_a-z0-9]/g, "");
}

export function stacksApi(t: Transport) {
  const s = stackSchemas();
  const swarm = dockerSchemas().swarm;
  const parseStack = (b: unknown) => s.stack.parse(b);

  /** Lists stacks. `{endpointId}` alone omits swarm stacks: pass `swarmId` too (C10.10). */
  const listStacks = (f: StackFilters = {}): Promise<Stack[]> => {
    const filters = { EndpointID: f.endpointId, SwarmID: f.swarmId, IncludeOrphanedStacks: f.includeOrphaned };
    const defined = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
    return t.send({
      method: "GET",
      path: "/stacks",
      query: { filters: Object.keys(defined).length > 0 ? JSON.stringify(defined) : undefined },
      auth: "any",
      op: { action: "list", resource: "stacks" },
      ok: [200],
      parse: listOf(s.stack),
      retry: "idempotent",
    });
  };

  /** The stack whose normalised name matches on that environment, if any. */
  const findStack = async (
    name: string,
    where: { endpointId: number; swarmId?: string },
  ): Promise<Stack | undefined> => {
    const wanted = normalizeStackName(name);
    const stacks = await listStacks({
      endpointId: where.endpointId,
      ...(where.swarmId !== undefined ? { swarmId: where.swarmId } : {}),
    });
    return stacks.find((x) => normalizeStackName(x.Name) === wanted && x.EndpointId === where.endpointId);
  };

  const getStack = (id: number): Promise<Stack> =>
    t.send({
      method: "GET",
      path: `/stacks/${id}`,
      auth: "any",
      op: { action: "read", resource: "stack", id },
      ok: [200],
      parse: parseStack,
      retry: "idempotent",
    });

  /** Start or stop; a lost answer is checked by reading the stack's status (1 active, 2 inactive). */
  const startStop = (action: "start" | "stop", id: number, endpointId: number): Promise<Stack> =>
    t.send({
      method: "POST",
      path: `/stacks/${id}/${action}`,
      query: { endpointId },
      auth: "any",
      op: { action, resource: "stack", id },
      ok: [200],
      parse: parseStack,
      retry: {
        alreadyDone: async () => {
          const x = await getStack(id);
          return x.Status === (action === "start" ? 1 : 2) ? x : undefined;
        },
      },
    });

  return {
    listStacks,
    findStack,
    getStack,

    /** Creates a compose stack from a string. A lost answer is found by normalised name on the environment. */
    createStandaloneStack: (endpointId: number, name: string, content: StackContent): Promise<Stack> =>
      t.send({
        method: "POST",
        path: "/stacks/create/standalone/string",
        query: { endpointId },
        auth: "any",
        op: { action: "create", resource: "stack", id: name },
        json: { Name: name, StackFileContent: content.stackFileContent, Env: content.env },
        ok: [200],
        parse: parseStack,
        retry: { alreadyDone: () => findStack(name, { endpointId }) },
      }),

    /** Creates a swarm stack from a string; `swarmId` comes from {@link swarmId}. */
    createSwarmStack: (endpointId: number, swarmId: string, name: string, content: StackContent): Promise<Stack> =>
      t.send({
        method: "POST",
        path: "/stacks/create/swarm/string",
        query: { endpointId },
        auth: "any",
        op: { action: "create", resource: "stack", id: name },
        json: { Name: name, SwarmID: swarmId, StackFileContent: content.stackFileContent, Env: content.env },
        ok: [200],
        parse: parseStack,
        retry: { alreadyDone: () => findStack(name, { endpointId, swarmId }) },
      }),

    /** The stack's compose file as deployed. */
    getStackFile: async (id: number): Promise<string> =>
      (
        await t.send({
          method: "GET",
          path: `/stacks/${id}/file`,
          auth: "any",
          op: { action: "read the file of", resource: "stack", id },
          ok: [200],
          parse: (b) => s.file.parse(b),
          retry: "idempotent",
        })
      ).StackFileContent,

    /**
     * Redeploys a stack. `Env` replaces the whole list and is always sent (C10.11); `endpointId` is the stack's own
     * (C10.12).
     */
    updateStack: (
      id: number,
      endpointId: number,
      c: StackContent & { prune?: boolean; pullImage?: boolean },
    ): Promise<Stack> =>
      t.send({
        method: "PUT",
        path: `/stacks/${id}`,
        query: { endpointId },
        auth: "any",
        op: { action: "update", resource: "stack", id },
        json: {
          StackFileContent: c.stackFileContent,
          Env: c.env,
          Prune: c.prune ?? false,
          PullImage: c.pullImage ?? false,
        },
        ok: [200],
        parse: parseStack,
        retry: "idempotent",
      }),

    startStack: (id: number, endpointId: number) => startStop("start", id, endpointId),
    stopStack: (id: number, endpointId: number) => startStop("stop", id, endpointId),

    /** Deletes a stack with its own `endpointId` (C10.12); 5xx answers are retried (C10.14). */
    deleteStack: async (id: number, endpointId: number): Promise<void> => {
      await t.send({
        method: "DELETE",
        path: `/stacks/${id}`,
        query: { endpointId },
        auth: "any",
        op: { action: "delete", resource: "stack", id },
        ok: [204],
        retry: "idempotent",
      });
    },

    /** True when the environment exists; a stack whose environment is gone is orphaned (C5.7). */
    environmentExists: async (endpointId: number): Promise<boolean> => {
      try {
        await t.send({
          method: "GET",
          path: `/endpoints/${endpointId}`,
          query: { excludeSnapshot: true },
          auth: "any",
          op: { action: "read", resource: "environment", id: endpointId },
          ok: [200],
          retry: "idempotent",
        });
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },

    /**
     * Moves an orphaned stack's record to an existing environment, without deploying (admin; CE-src
     * api/http/handler/stacks/stack_associate.go). Idempotent: a lost answer is simply sent again.
     */
    associateStack: (id: number, endpointId: number, swarmId: string, running: boolean): Promise<Stack> =>
      t.send({
        method: "PUT",
        path: `/stacks/${id}/associate`,
        query: { endpointId, swarmId, orphanedRunning: running },
        auth: "any",
        op: { action: "associate", resource: "stack", id },
        ok: [200],
        parse: parseStack,
        retry: "idempotent",
      }),

    /** The swarm id of a swarm environment (C10.25). */
    swarmId: async (endpointId: number): Promise<string> =>
      (
        await t.send({
          method: "GET",
          path: `/endpoints/${endpointId}/docker/swarm`,
          auth: "any",
          op: { action: "read the swarm of", resource: "environment", id: endpointId },
          ok: [200],
          parse: (b) => swarm.parse(b),
          retry: "idempotent",
        })
      ).ID,
  };
}
