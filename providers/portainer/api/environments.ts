/** Environments, Portainer's "endpoints" (CONTRACT.md 5.3–5.7). */
import type { Transport } from "../transport";
import { environmentSchema, listOf, type Environment } from "../wire";

/** Fields of `POST /api/endpoints`. */
export interface EnvironmentCreate {
  readonly name: string;
  /** 1 Docker API or socket, 2 Portainer agent, 4 Edge agent. */
  readonly creationType: 1 | 2 | 4;
  readonly url?: string;
  readonly publicUrl?: string;
  readonly groupId?: number;
  readonly tagIds?: readonly number[];
  readonly tls?: boolean;
  readonly tlsSkipVerify?: boolean;
  readonly tlsSkipClientVerify?: boolean;
}

/** Fields of `PUT /api/endpoints/{id}`: omitted means unchanged. */
export type EnvironmentUpdate = Partial<Omit<EnvironmentCreate, "creationType">>;

export function environmentsApi(t: Transport) {
  const env = environmentSchema();
  /** Lists environments; `name` is Portainer's exact, case-sensitive filter (C5.4). */
  const listEnvironments = (filter: { name?: string } = {}): Promise<Environment[]> =>
    t.send({
      method: "GET",
      path: "/endpoints",
      query: { name: filter.name, excludeSnapshots: true },
      auth: "any",
      op: { action: "list", resource: "environments" },
      ok: [200],
      parse: listOf(env),
      retry: "idempotent",
    });
  const findEnvironment = async (name: string): Promise<Environment | undefined> =>
    (await listEnvironments({ name })).find((e) => e.Name === name);
  const bool = (v: boolean | undefined) => (v === undefined ? undefined : v ? "true" : "false");
  return {
    listEnvironments,
    findEnvironment,
    /**
     * Registers an environment. `TagIds` is one field holding a JSON array, booleans are lowercase
     * `true`/`false` (C10.2, C10.3). A lost answer is looked up by name.
     */
    createEnvironment: (e: EnvironmentCreate): Promise<Environment> => {
      const fields: Record<string, string | undefined> = {
        Name: e.name,
        EndpointCreationType: String(e.creationType),
        URL: e.url,
        PublicURL: e.publicUrl,
        GroupID: e.groupId === undefined ? undefined : String(e.groupId),
        TagIds: e.tagIds === undefined ? undefined : JSON.stringify(e.tagIds),
        TLS: bool(e.tls),
        TLSSkipVerify: bool(e.tlsSkipVerify),
        TLSSkipClientVerify: bool(e.tlsSkipClientVerify),
      };
      const form = Object.fromEntries(
        Object.entries(fields).filter((kv): kv is [string, string] => kv[1] !== undefined),
      );
      return t.send({
        method: "POST",
        path: "/endpoints",
        auth: "any",
        op: { action: "create", resource: "environment", id: e.name },
        form,
        ok: [200],
        parse: (b) => env.parse(b),
        retry: { alreadyDone: () => findEnvironment(e.name) },
      });
    },
    getEnvironment: (id: number): Promise<Environment> =>
      t.send({
        method: "GET",
        path: `/endpoints/${id}`,
        auth: "any",
        op: { action: "read", resource: "environment", id },
        ok: [200],
        parse: (b) => env.parse(b),
        retry: "idempotent",
      }),
    /** The update payload spells `GroupID`/`TagIDs` (C10.8). */
    updateEnvironment: (id: number, u: EnvironmentUpdate): Promise<Environment> => {
      const fields: Record<string, unknown> = {
        Name: u.name,
        URL: u.url,
        PublicURL: u.publicUrl,
        GroupID: u.groupId,
        TagIDs: u.tagIds,
        TLS: u.tls,
        TLSSkipVerify: u.tlsSkipVerify,
        TLSSkipClientVerify: u.tlsSkipClientVerify,
      };
      const json = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      return t.send({
        method: "PUT",
        path: `/endpoints/${id}`,
        auth: "any",
        op: { action: "update", resource: "environment", id },
        json,
        ok: [200],
        parse: (b) => env.parse(b),
        retry: "idempotent",
      });
    },
    deleteEnvironment: async (id: number): Promise<void> => {
      await t.send({
        method: "DELETE",
        path: `/endpoints/${id}`,
        auth: "any",
        op: { action: "delete", resource: "environment", id },
        ok: [204],
        retry: "idempotent",
      });
    },
  };
}
