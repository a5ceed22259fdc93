/** Tags (CONTRACT.md 5.9). */
import type { Transport } from "../transport";
import { listOf, tagSchema, type Tag } from "../wire";

export function tagsApi(t: Transport) {
  const tag = tagSchema();
  const listTags = (): Promise<Tag[]> =>
    t.send({
      method: "GET",
      path: "/tags",
      auth: "any",
      op: { action: "list", resource: "tags" },
      ok: [200],
      parse: listOf(tag),
      retry: "idempotent",
    });
  return {
    listTags,
    /** A lost answer is found again by name (names are unique). */
    createTag: (name: string): Promise<Tag> =>
      t.send({
        method: "POST",
        path: "/tags",
        auth: "any",
        op: { action: "create", resource: "tag", id: name },
        json: { Name: name },
        ok: [200],
        parse: (b) => tag.parse(b),
        retry: { alreadyDone: async () => (await listTags()).find((x) => x.Name === name) },
      }),
    deleteTag: async (id: number): Promise<void> => {
      await t.send({
        method: "DELETE",
        path: `/tags/${id}`,
        auth: "any",
        op: { action: "delete", resource: "tag", id },
        ok: [204],
        retry: "idempotent",
      });
    },
  };
}
