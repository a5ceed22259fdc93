/** Docker configs and secrets through Portainer's Docker proxy (CONTRACT.md 7). */
import type { Transport } from "../transport";
import { dockerSchemas, listOf, type Container, type DockerObject } from "../wire";

/** `configs` or `secrets`: the two immutable swarm objects phoenix manages. */
export type DockerObjectKind = "configs" | "secrets";

export function dockerApi(t: Transport) {
  const s = dockerSchemas();
  const label = (kind: DockerObjectKind) => (kind === "configs" ? "Docker config" : "Docker secret");
  const list = (kind: DockerObjectKind, endpointId: number): Promise<DockerObject[]> =>
    t.send({
      method: "GET",
      path: `/endpoints/${endpointId}/docker/${kind}`,
      auth: "any",
      op: { action: "list", resource: `${label(kind)}s`, id: `of environment ${endpointId}` },
      ok: [200],
      parse: listOf(s.object),
      retry: "idempotent",
    });
  return {
    list,
    /** Every container (running or not) of a compose project, by its `com.docker.compose.project` label. */
    containers: (endpointId: number, project: string): Promise<Container[]> =>
      t.send({
        method: "GET",
        path: `/endpoints/${endpointId}/docker/containers/json`,
        query: { all: 1, filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) },
        auth: "any",
        op: { action: "list", resource: "containers", id: `of ${project} on environment ${endpointId}` },
        ok: [200],
        parse: listOf(s.container),
        retry: "idempotent",
      }),
    /**
     * Creates one (`data` is the plain content, sent base64-encoded). Portainer answers 200, Docker 201 (C10.24). A
     * lost answer is found by name.
     */
    create: async (
      kind: DockerObjectKind,
      endpointId: number,
      name: string,
      data: string,
      labels: Readonly<Record<string, string>> = {},
    ): Promise<string> =>
      (
        await t.send<{ ID: string }>({
          method: "POST",
          path: `/endpoints/${endpointId}/docker/${kind}/create`,
          auth: "any",
          op: { action: "create", resource: label(kind), id: name },
          json: { Name: name, Data: Buffer.from(data, "utf8").toString("base64"), Labels: labels },
          ok: [200, 201],
          parse: (b) => s.created.parse(b),
          retry: {
            alreadyDone: async () => {
              const o = (await list(kind, endpointId)).find((x) => x.Spec.Name === name);
              return o ? { ID: o.ID } : undefined;
            },
          },
        })
      ).ID,
    get: (kind: DockerObjectKind, endpointId: number, id: string): Promise<DockerObject> =>
      t.send({
        method: "GET",
        path: `/endpoints/${endpointId}/docker/${kind}/${id}`,
        auth: "any",
        op: { action: "read", resource: label(kind), id },
        ok: [200],
        parse: (b) => s.object.parse(b),
        retry: "idempotent",
      }),
    remove: async (kind: DockerObjectKind, endpointId: number, id: string): Promise<void> => {
      await t.send({
        method: "DELETE",
        path: `/endpoints/${endpointId}/docker/${kind}/${id}`,
        auth: "any",
        op: { action: "delete", resource: label(kind), id },
        ok: [200, 204],
        retry: "idempotent",
      });
    },
  };
}
