/** Environment groups (CONTRACT.md 5.8). */
import type { Transport } from "../transport";
import { groupSchema, listOf, type EndpointGroup } from "../wire";

export function groupsApi(t: Transport) {
  const group = groupSchema();
  const listGroups = (): Promise<EndpointGroup[]> =>
    t.send({
      method: "GET",
      path: "/endpoint_groups",
      auth: "any",
      op: { action: "list", resource: "environment groups" },
      ok: [200],
      parse: listOf(group),
      retry: "idempotent",
    });
  return {
    listGroups,
    /** Group names are not unique in Portainer: a lost answer is found again by name. */
    createGroup: (name: string, description: string, tagIds: readonly number[] = []): Promise<EndpointGroup> =>
      t.send({
        method: "POST",
        path: "/endpoint_groups",
        auth: "any",
        op: { action: "create", resource: "environment group", id: name },
        json: { Name: name, Description: description, TagIDs: tagIds },
        ok: [200],
        parse: (b) => group.parse(b),
        retry: { alreadyDone: async () => (await listGroups()).find((g) => g.Name === name) },
      }),
    getGroup: (id: number): Promise<EndpointGroup> =>
      t.send({
        method: "GET",
        path: `/endpoint_groups/${id}`,
        auth: "any",
        op: { action: "read", resource: "environment group", id },
        ok: [200],
        parse: (b) => group.parse(b),
        retry: "idempotent",
      }),
    /** Omitted fields are unchanged; an empty description is "unchanged" to Portainer. */
    updateGroup: (
      id: number,
      u: { name?: string; description?: string; tagIds?: readonly number[] },
    ): Promise<EndpointGroup> =>
      t.send({
        method: "PUT",
        path: `/endpoint_groups/${id}`,
        auth: "any",
        op: { action: "update", resource: "environment group", id },
        json: {
          ...(u.name !== undefined ? { Name: u.name } : {}),
          ...(u.description !== undefined ? { Description: u.description } : {}),
          ...(u.tagIds !== undefined ? { TagIDs: u.tagIds } : {}),
        },
        ok: [200],
        parse: (b) => group.parse(b),
        retry: "idempotent",
      }),
    deleteGroup: async (id: number): Promise<void> => {
      await t.send({
        method: "DELETE",
        path: `/endpoint_groups/${id}`,
        auth: "any",
        op: { action: "delete", resource: "environment group", id },
        ok: [204],
        retry: "idempotent",
      });
    },
  };
}
