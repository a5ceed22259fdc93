// Proves: the PortainerEnvironment provider registers agents with Portainer's UI flags, adopts by name,
// refuses a kind mismatch, reads drift (URL changed, deleted), updates in place and deletes, against the fake.
import {
  environmentProvider as provider,
  kindOf,
  type PortainerEnvironmentInputs,
  type PortainerEnvironmentOutputs,
} from "../../../providers/portainer/environment";
import { addAgent, bootstrappedFake, call } from "../../helpers/portainer";
import type { FakePortainer } from "../../fakes/portainer/server";

let fake: FakePortainer & { jwt: string; apiKey: string };
beforeEach(async () => (fake = await bootstrappedFake()));
afterEach(async () => fake.close());

function inputs(extra: Partial<PortainerEnvironmentInputs> = {}): PortainerEnvironmentInputs {
  return {
    connection: { url: fake.url, apiKey: fake.apiKey },
    name: "Dr-Phoenix",
    kind: "agent",
    url: "tcp://10.0.0.102:9001",
    publicUrl: "",
    groupId: 1,
    tagIds: [],
    adopt: true,
    ...extra,
  };
}

describe("PortainerEnvironment", () => {
  it("checks: the agent URL must be tcp://host:port; local defaults to the Docker socket", async () => {
    const bad = await provider.check!(
      {} as PortainerEnvironmentInputs,
      { connection: { url: fake.url, apiKey: "k" }, name: "a", kind: "agent", url: "10.0.0.102:9001" } as never,
    );
    expect(bad.failures).toEqual([
      {
        property: "url",
        reason: "must be tcp://<host>:<port> for a agent environment (Portainer needs the tcp:// scheme)",
      },
    ]);
    const local = await provider.check!(
      {} as PortainerEnvironmentInputs,
      { connection: { url: fake.url, apiKey: "k" }, name: "a", kind: "local" } as never,
    );
    expect(local.inputs).toMatchObject({
      url: "unix:///var/run/docker.sock",
      groupId: 1,
      tagIds: [],
      publicUrl: "",
      adopt: true,
    });
  });

  it("registers an agent as Portainer's UI does", async () => {
    fake.clearRequests();
    const r = await provider.create(inputs());
    expect(r).toEqual({ id: "1", outs: { ...inputs(), environmentId: 1, type: 2 } });
    expect(fake.requests.at(-1)!.form).toEqual({
      Name: "Dr-Phoenix",
      EndpointCreationType: "2",
      URL: "tcp://10.0.0.102:9001",
      PublicURL: "",
      GroupID: "1",
      TagIds: "[]",
      TLS: "true",
      TLSSkipVerify: "true",
      TLSSkipClientVerify: "true",
    });
  });

  it("adopts an environment with the same name and brings it to the desired URL", async () => {
    const id = await addAgent(fake, "Dr-Phoenix", "tcp://10.0.0.99:9001");
    const r = await provider.create(inputs());
    expect(r.id).toBe(String(id));
    expect(fake.state.endpoints.map((e) => [e.Name, e.URL])).toEqual([["Dr-Phoenix", "tcp://10.0.0.102:9001"]]);
  });

  it("refuses adoption when adopt is false or the kind differs", async () => {
    await call(fake, "POST", "/api/endpoints", {
      apiKey: fake.apiKey,
      form: [
        ["Name", "Dr-Phoenix"],
        ["EndpointCreationType", "1"],
      ],
    });
    await expect(provider.create(inputs({ adopt: false }))).rejects.toThrow(
      "Portainer environment Dr-Phoenix (id 1, unix:///var/run/docker.sock) " +
        "already exists; set adopt: true to manage it, or delete it first",
    );
    await expect(provider.create(inputs())).rejects.toThrow(
      "Portainer environment Dr-Phoenix (id 1) already exists as a local environment, not agent; rename one of them",
    );
  });

  it("surfaces an unreachable agent with Portainer's message", async () => {
    fake.setUnreachable("tcp://10.0.0.102:9001");
    await expect(provider.create(inputs())).rejects.toThrow(
      "Unable to create Portainer environment Dr-Phoenix: Unable to get " +
        'environment type: Get "https://10.0.0.102:9001/ping": dial tcp ' +
        "10.0.0.102:9001: connect: connection refused (HTTP 500 POST " +
        "/api/endpoints)",
    );
  });

  it("reads drift (URL changed out of band) and updates it back in place", async () => {
    const created = (await provider.create(inputs())).outs as PortainerEnvironmentOutputs;
    fake.editEnvironment(1, { URL: "tcp://10.0.0.200:9001" });
    const r = await provider.read!("1", created);
    expect(r.inputs).toEqual({ ...inputs(), url: "tcp://10.0.0.200:9001" });
    expect(await provider.diff!("1", r.props!, inputs())).toEqual({ changes: true, replaces: [] });
    await provider.update!("1", r.props!, inputs());
    expect(fake.state.endpoints[0]!.URL).toBe("tcp://10.0.0.102:9001");
    expect(fake.requests.at(-1)!.json).toEqual({
      Name: "Dr-Phoenix",
      URL: "tcp://10.0.0.102:9001",
      PublicURL: "",
      GroupID: 1,
      TagIDs: [],
      TLS: true,
      TLSSkipVerify: true,
      TLSSkipClientVerify: true,
    });
  });

  it(
    "keeps the last known state when the API key was revoked, and fails an " + "update saying how to repair it",
    async () => {
      const r = await provider.create(inputs());
      fake.revokeApiKey(fake.state.apiKeys[0]!.id);
      expect(await provider.read!(r.id, r.outs as PortainerEnvironmentOutputs)).toEqual({ id: r.id, props: r.outs });
      await expect(
        provider.update!(r.id, r.outs as PortainerEnvironmentOutputs, inputs({ publicUrl: "10.0.0.102" })),
      ).rejects.toThrow(
        "Unable to update Portainer environment 1: Invalid JWT token: " +
          "Unauthorized (HTTP 401 PUT /api/endpoints/1); Portainer refused the API " +
          "key: it was revoked or deleted outside Pulumi. " +
          ("Run `pulumi refresh`, then `pulumi up` (or `pulumi up --refresh`): the " +
            "refresh finds the key gone and the up creates a new one"),
      );
    },
  );

  it("reads a deleted environment as gone, and deletes idempotently", async () => {
    const created = (await provider.create(inputs())).outs as PortainerEnvironmentOutputs;
    await provider.delete!("1", created);
    expect(fake.state.endpoints).toEqual([]);
    expect(await provider.read!("1", created)).toEqual({});
    await expect(provider.delete!("1", created)).resolves.toBeUndefined();
  });

  it("diffs: tag order is no change; the kind replaces, deleting first (names are unique)", async () => {
    const outs = { ...inputs({ tagIds: [2, 1] }), environmentId: 1, type: 2 };
    expect(await provider.diff!("1", outs, inputs({ tagIds: [1, 2] }))).toEqual({ changes: false, replaces: [] });
    expect(await provider.diff!("1", outs, inputs({ kind: "docker", tagIds: [1, 2] }))).toEqual({
      changes: true,
      replaces: ["kind"],
      deleteBeforeReplace: true,
    });
  });

  it.each([
    [{ Type: 2, URL: "tcp://a:9001" }, "agent"],
    [{ Type: 6, URL: "tcp://a:9001" }, "agent"],
    [{ Type: 1, URL: "unix:///var/run/docker.sock" }, "local"],
    [{ Type: 1, URL: "tcp://a:2375" }, "docker"],
    [{ Type: 4, URL: "https://p" }, "other"],
    [{ Type: 7, URL: "https://p" }, "other"],
  ])("kindOf %j is %s (Edge 4 and 7 read alike)", (e, kind) => expect(kindOf(e)).toBe(kind));
});
