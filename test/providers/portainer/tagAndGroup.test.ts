// Proves: PortainerTag and PortainerEndpointGroup create, adopt by name, read drift and deletion, update
// and delete against the fake; group 1 is never deleted.
import { tagProvider, type PortainerTagInputs, type PortainerTagOutputs } from "../../../providers/portainer/tag";
import {
  endpointGroupProvider,
  type PortainerEndpointGroupInputs,
  type PortainerEndpointGroupOutputs,
} from "../../../providers/portainer/endpointGroup";
import { bootstrappedFake, call } from "../../helpers/portainer";
import type { FakePortainer } from "../../fakes/portainer/server";

let fake: FakePortainer & { jwt: string; apiKey: string };
beforeEach(async () => (fake = await bootstrappedFake()));
afterEach(async () => fake.close());
const connection = () => ({ url: fake.url, apiKey: fake.apiKey });

describe("PortainerTag", () => {
  const inputs = (extra: Partial<PortainerTagInputs> = {}): PortainerTagInputs => ({
    connection: connection(),
    name: "prod",
    adopt: true,
    ...extra,
  });

  it("creates, adopts an existing tag, and refuses when adopt is false", async () => {
    expect(await tagProvider.create(inputs())).toEqual({ id: "1", outs: { ...inputs(), tagId: 1 } });
    expect((await tagProvider.create(inputs())).id).toBe("1");
    expect(fake.state.tags).toHaveLength(1);
    await expect(tagProvider.create(inputs({ adopt: false }))).rejects.toThrow(
      "Portainer tag prod (id 1) already exists; set adopt: true to manage it, or delete it first",
    );
  });

  it("reads deletion, replaces on rename (deleting first) and deletes idempotently", async () => {
    const outs = (await tagProvider.create(inputs())).outs as PortainerTagOutputs;
    expect(await tagProvider.diff!("1", outs, inputs({ name: "production" }))).toEqual({
      changes: true,
      replaces: ["name"],
      deleteBeforeReplace: true,
    });
    await tagProvider.delete!("1", outs);
    expect(await tagProvider.read!("1", outs)).toEqual({});
    await expect(tagProvider.delete!("1", outs)).resolves.toBeUndefined();
  });
});

describe("PortainerEndpointGroup", () => {
  const inputs = (extra: Partial<PortainerEndpointGroupInputs> = {}): PortainerEndpointGroupInputs => ({
    connection: connection(),
    name: "lab",
    description: "the lab",
    tagIds: [],
    adopt: true,
    ...extra,
  });

  it("creates, reads drift and updates in place", async () => {
    const outs = (await endpointGroupProvider.create(inputs())).outs as PortainerEndpointGroupOutputs;
    expect(outs.groupId).toBe(2);
    await call(fake, "PUT", "/api/endpoint_groups/2", {
      apiKey: fake.apiKey,
      json: { Description: "changed by hand" },
    });
    const r = await endpointGroupProvider.read!("2", outs);
    expect(r.inputs).toMatchObject({ description: "changed by hand" });
    expect(await endpointGroupProvider.diff!("2", r.props!, inputs())).toEqual({ changes: true, replaces: [] });
    await endpointGroupProvider.update!("2", r.props!, inputs());
    expect(fake.state.groups[1]!.Description).toBe("the lab");
  });

  it("adopts the first group with the name and never deletes group 1", async () => {
    await call(fake, "POST", "/api/endpoint_groups", {
      apiKey: fake.apiKey,
      json: { Name: "lab", Description: "old" },
    });
    expect((await endpointGroupProvider.create(inputs())).id).toBe("2");
    expect(fake.state.groups.map((g) => [g.Id, g.Description])).toEqual([
      [1, "Unassigned environments"],
      [2, "the lab"],
    ]);
    await endpointGroupProvider.delete!("1", { ...inputs({ name: "Unassigned" }), groupId: 1 });
    expect(fake.state.groups.map((g) => g.Id)).toEqual([1, 2]);
  });
});
