// Proves: PortainerApiKey creates a key with one password login, revokes same-description keys left by an
// interrupted run (no duplicates), reads a revoked key as gone, and revokes on delete — against the fake.
import {
  apiKeyProvider as provider,
  type PortainerApiKeyInputs,
  type PortainerApiKeyOutputs,
} from "../../../providers/portainer/apiKey";
import { startFakePortainer, type FakePortainer } from "../../fakes/portainer/server";
import { ADMIN, bootstrap, call } from "../../helpers/portainer";

let fake: FakePortainer;
beforeEach(async () => {
  fake = await startFakePortainer();
  await bootstrap(fake);
  fake.state.apiKeys.splice(0);
  fake.clearRequests();
});
afterEach(async () => fake.close());
const inputs = (extra: Partial<PortainerApiKeyInputs> = {}): PortainerApiKeyInputs => ({
  url: fake.url,
  username: ADMIN.username,
  password: ADMIN.password,
  description: "phoenix",
  adopt: true,
  ...extra,
});

describe("PortainerApiKey", () => {
  it("creates a key with one login and returns the raw key", async () => {
    const r = await provider.create(inputs());
    const outs = r.outs as PortainerApiKeyOutputs;
    expect(outs).toMatchObject({ userId: 1, keyId: Number(r.id), description: "phoenix" });
    expect(outs.apiKey).toMatch(/^ptr_/);
    expect(outs.prefix).toBe(outs.apiKey.slice(0, 7));
    expect(fake.requests.filter((q) => q.path === "/api/auth")).toHaveLength(1);
    expect((await call(fake, "GET", "/api/users/me", { apiKey: outs.apiKey })).status).toBe(200);
  });

  it("revokes keys with the same description left by an interrupted run", async () => {
    const first = (await provider.create(inputs())).outs as PortainerApiKeyOutputs;
    const second = (await provider.create(inputs())).outs as PortainerApiKeyOutputs;
    expect(fake.state.apiKeys.map((k) => k.id)).toEqual([second.keyId]);
    expect((await call(fake, "GET", "/api/users/me", { apiKey: first.apiKey })).status).toBe(401);
  });

  it("revokes a key that an abandoned request created while this create ran", async () => {
    // The create's POST stalls; meanwhile the late original of an earlier run's request lands.
    fake.fault({ method: "POST", path: "/api/users/1/tokens", delayMs: 300 });
    setTimeout(
      () =>
        fake.state.apiKeys.push({
          id: 77,
          userId: 1,
          description: "phoenix",
          prefix: "ptr_lat",
          dateCreated: 0,
          lastUsed: 0,
          digest: "late",
        }),
      100,
    );
    const r = await provider.create(inputs());
    expect(fake.state.apiKeys.map((k) => k.id)).toEqual([Number(r.id)]);
    expect((r.outs as PortainerApiKeyOutputs).duplicates).toEqual([]);
  });

  it("reports a key that landed after the run as a duplicate on read, and the update revokes it", async () => {
    const outs = (await provider.create(inputs())).outs as PortainerApiKeyOutputs;
    fake.state.apiKeys.push({
      id: 78,
      userId: 1,
      description: "phoenix",
      prefix: "ptr_lat",
      dateCreated: 0,
      lastUsed: 0,
      digest: "late",
    });
    fake.state.apiKeys.push({
      id: 79,
      userId: 1,
      description: "someone else's",
      prefix: "ptr_oth",
      dateCreated: 0,
      lastUsed: 0,
      digest: "other",
    });
    const read = await provider.read!(String(outs.keyId), outs);
    const live = read.props as PortainerApiKeyOutputs;
    expect(live.duplicates).toEqual([78]);
    expect(await provider.diff!(String(outs.keyId), live, inputs())).toEqual({ changes: true, replaces: [] });
    const updated = await provider.update!(String(outs.keyId), live, inputs());
    expect((updated.outs as PortainerApiKeyOutputs).duplicates).toEqual([]);
    expect(fake.state.apiKeys.map((k) => k.id).sort()).toEqual([outs.keyId, 79].sort());
    expect(await provider.diff!(String(outs.keyId), updated.outs as PortainerApiKeyOutputs, inputs())).toEqual({
      changes: false,
      replaces: [],
    });
  });

  it("refuses to revoke them when adopt is false", async () => {
    await provider.create(inputs());
    await expect(provider.create(inputs({ adopt: false }))).rejects.toThrow(
      "Portainer user admin already has API key(s) named phoenix (ids 2); set " +
        "adopt: true to replace them, or revoke them",
    );
  });

  it("reads a revoked key as gone", async () => {
    const outs = (await provider.create(inputs())).outs as PortainerApiKeyOutputs;
    expect((await provider.read!(String(outs.keyId), outs)).id).toBe(String(outs.keyId));
    fake.revokeApiKey(outs.keyId);
    expect(await provider.read!(String(outs.keyId), outs)).toEqual({});
  });

  it("revokes on delete, and a second delete is fine", async () => {
    const outs = (await provider.create(inputs())).outs as PortainerApiKeyOutputs;
    await provider.delete!(String(outs.keyId), outs);
    expect(fake.state.apiKeys).toEqual([]);
    await expect(provider.delete!(String(outs.keyId), outs)).resolves.toBeUndefined();
  });

  it("replaces on a new description, but not on a new password", async () => {
    const outs = (await provider.create(inputs())).outs as PortainerApiKeyOutputs;
    expect(await provider.diff!("1", outs, inputs({ password: "another-long-password" }))).toEqual({
      changes: false,
      replaces: [],
    });
    expect(await provider.diff!("1", outs, inputs({ description: "ci" }))).toEqual({
      changes: true,
      replaces: ["description"],
    });
  });
});
