// Proves: the Portainer providers work inside Pulumi's real dynamic-provider host, driven over gRPC as
// the engine drives it (test/harness/engine.ts): the serialized `__provider` captured under mocks holds no
// secret; Configure, Check, Create, Read (refresh, drift, out-of-band delete), Diff, Update, replace and
// Delete behave; secrets stay marked; `pulumi import` fails, as it does for every dynamic resource.
// Does not prove: the engine's own step ordering (the lab, issue 6, and the real CLI do that).
import * as pulumi from "@pulumi/pulumi";
import { PortainerApiKey } from "../../../providers/portainer/apiKey";
import { PortainerStack, stackProvider } from "../../../providers/portainer/stack";
import { LOADER_MARK } from "../../../providers/portainer/runtime";
import { DynamicProviderHost, captureRegistrations, isSecret, urnOf, type Registration } from "../../harness/engine";
import { ADMIN, addAgent, bootstrappedFake } from "../../helpers/portainer";
import { PROJECT_DIR } from "../../helpers/site";
import type { FakePortainer } from "../../fakes/portainer/server";

let fake: FakePortainer & { jwt: string; apiKey: string };
let host: DynamicProviderHost;
let env: number;
beforeAll(async () => {
  fake = await bootstrappedFake();
  env = await addAgent(fake, "Dr-Phoenix");
  host = await DynamicProviderHost.start(PROJECT_DIR);
});
afterAll(async () => {
  await host.close();
  await fake.close();
});

const COMPOSE = "services:\n  qdrant:\n    image: qdrant/qdrant:v1.12.4\n";

async function stackRegistration(name: string): Promise<Registration> {
  const regs = await captureRegistrations(() => {
    new PortainerStack(name, {
      connection: { url: fake.url, apiKey: pulumi.secret(fake.apiKey) },
      endpointId: env,
      name,
      composeContent: COMPOSE,
      env: [
        { name: "QDRANT_LOG_LEVEL", value: "INFO" },
        { name: "QDRANT_API_KEY", value: pulumi.secret("qdrant-s3cret") },
      ],
    });
  });
  return regs[0]!;
}

describe("Portainer providers in Pulumi's dynamic-provider host", () => {
  it("configures as the engine expects: no secrets, no preview", async () => {
    expect(await host.configure({ "phoenix:environment": "testing" })).toEqual({
      acceptSecrets: false,
      supportsPreview: false,
    });
  });

  it("registers with the portainer token and a serialized provider that holds no secret", async () => {
    const reg = await stackRegistration("qdrant_service");
    expect([reg.type, reg.name]).toEqual(["pulumi-nodejs:dynamic/portainer:Stack", "qdrant_service"]);
    const provider = reg.inputs["__provider"] as string;
    expect(provider).toMatch(/^exports\.handler = /);
    expect(provider).toContain(LOADER_MARK);
    expect(provider.length).toBeLessThanOrEqual(8192);
    expect(provider).not.toContain(fake.apiKey);
    expect(provider).not.toContain("qdrant-s3cret");
    expect(isSecret(reg.inputs["connection"])).toBe(true);
    expect(isSecret(reg.inputs["env"])).toBe(true);
  });

  it(
    "creates, refreshes, sees drift, updates it back, plans a replacement, " +
      "sees an out-of-band delete, and deletes",
    async () => {
      const reg = await stackRegistration("qdrant_service");
      const urn = urnOf(reg.type, reg.name);
      const checked = await host.check(urn, {}, reg.inputs);
      expect(checked.failures).toEqual([]);
      expect(checked.inputs).toMatchObject({
        name: "qdrant_service",
        running: true,
        type: "standalone",
        adopt: true,
        pullImage: false,
      });
      expect(typeof checked.inputs["__provider"]).toBe("string");

      const created = await host.create(urn, checked.inputs);
      expect(created.id).toBe("1");
      expect(created.properties).toMatchObject({ stackId: 1, swarmId: "", endpointId: env });
      expect([isSecret(created.properties["connection"]), isSecret(created.properties["env"])]).toEqual([true, true]);
      expect(fake.state.stacks.map((s) => [s.Name, s.Env])).toEqual([
        [
          "qdrant_service",
          [
            { name: "QDRANT_LOG_LEVEL", value: "INFO" },
            { name: "QDRANT_API_KEY", value: "qdrant-s3cret" },
          ],
        ],
      ]);

      const clean = await host.read("1", urn, created.properties, checked.inputs);
      expect(clean.id).toBe("1");
      expect((await host.diff("1", urn, checked.inputs, clean.properties, checked.inputs)).changes).toBe("none");

      fake.editStack(1, { fileContent: "services:\n  edited:\n    image: by-hand\n" });
      const drifted = await host.read("1", urn, clean.properties, checked.inputs);
      expect(drifted.inputs).toMatchObject({ composeContent: "services:\n  edited:\n    image: by-hand\n" });
      expect(await host.diff("1", urn, drifted.inputs!, drifted.properties, checked.inputs)).toEqual({
        changes: "some",
        replaces: [],
        deleteBeforeReplace: false,
      });

      const updated = await host.update("1", urn, drifted.inputs!, drifted.properties, checked.inputs);
      expect(updated.properties).toMatchObject({ composeContent: COMPOSE, stackId: 1 });
      expect(fake.state.stacks[0]!.fileContent).toBe(COMPOSE);

      expect(
        await host.diff("1", urn, checked.inputs, updated.properties, { ...checked.inputs, endpointId: 99 }),
      ).toEqual({ changes: "some", replaces: ["endpointId"], deleteBeforeReplace: true });

      // A replacement as the engine runs it with deleteBeforeReplace: delete the old, then create the new.
      const other = await addAgent(fake, "Other", "tcp://10.0.0.103:9001");
      const moved = { ...checked.inputs, endpointId: other };
      await host.delete("1", urn, checked.inputs, updated.properties);
      const replacement = await host.create(urn, moved);
      expect(fake.state.stacks.map((s) => [s.Id, s.Name, s.EndpointId])).toEqual([[2, "qdrant_service", other]]);
      await host.delete(replacement.id, urn, moved, replacement.properties);
      await host.create(urn, checked.inputs);

      fake.removeStack(3);
      const gone = await host.read("3", urn, updated.properties, checked.inputs);
      expect(gone.id).toBe("");

      const again = await host.create(urn, checked.inputs);
      await host.delete(again.id, urn, checked.inputs, again.properties);
      expect(fake.state.stacks).toEqual([]);
    },
  );

  it(
    "rewrites a state that holds a provider serialized before the loader with " + "one update that sends no request",
    async () => {
      const reg = await stackRegistration("legacy_service");
      const urn = urnOf(reg.type, reg.name);
      const checked = await host.check(urn, {}, reg.inputs);
      // What phoenix stored before ADR 011: a whole provider, serialized. The host runs the old text only
      // for read and delete (the code of that day), never for diff or update, which take the program's
      // __provider: a stand-in of the same form is enough here.
      const oldProvider = { ...stackProvider };
      const legacy = (await pulumi.runtime.serializeFunction(() => oldProvider, { allowSecrets: false })).text;
      expect([legacy.startsWith("exports.handler = "), legacy.includes(LOADER_MARK)]).toEqual([true, false]);
      const created = await host.create(urn, checked.inputs);
      const refreshed = { ...created, properties: { ...created.properties, __provider: legacy } };

      expect(await host.diff(created.id, urn, checked.inputs, refreshed.properties, checked.inputs)).toEqual({
        changes: "some",
        replaces: [],
        deleteBeforeReplace: false,
      });
      fake.clearRequests();
      const updated = await host.update(created.id, urn, checked.inputs, refreshed.properties, checked.inputs);
      expect(fake.requests).toEqual([]);
      expect(updated.properties["__provider"]).toBe(checked.inputs["__provider"]);
      const withoutProvider = (p: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(p).filter(([k]) => k !== "__provider"));
      expect(withoutProvider(updated.properties)).toEqual(withoutProvider(refreshed.properties));
      expect((await host.diff(created.id, urn, checked.inputs, updated.properties, checked.inputs)).changes).toBe(
        "none",
      );

      // A real change on a legacy state is a real update.
      const edited = { ...checked.inputs, composeContent: "services:\n  qdrant:\n    image: qdrant/qdrant:v1.12.5\n" };
      await host.update(created.id, urn, checked.inputs, refreshed.properties, edited);
      expect(fake.state.stacks.find((s) => s.Id === Number(created.id))!.fileContent).toContain("v1.12.5");
      await host.delete(created.id, urn, edited, updated.properties);
    },
  );

  it("returns check failures per property", async () => {
    const reg = await stackRegistration("bad");
    const urn = urnOf(reg.type, reg.name);
    const r = await host.check(urn, {}, { ...reg.inputs, composeContent: "", endpointId: -1 });
    expect(r.failures).toEqual([
      { property: "endpointId", reason: "Too small: expected number to be >0" },
      { property: "composeContent", reason: "must not be empty" },
    ]);
  });

  it("carries Portainer's message and the resource's identity in errors", async () => {
    const reg = await stackRegistration("broken");
    const urn = urnOf(reg.type, reg.name);
    const checked = await host.check(urn, {}, reg.inputs);
    for (let i = 0; i < 4; i++) fake.failNextDeploy("failed to deploy a stack: pull access denied for qdrant/qdrant");
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      "Unable to create Portainer stack broken: failed to deploy a stack: pull access denied for qdrant/qdrant",
    );
  });

  it("prints no stack trace for a failed read, update, create or delete, on its stderr or in the error", async () => {
    const reg = await stackRegistration("traced");
    const urn = urnOf(reg.type, reg.name);
    const checked = await host.check(urn, {}, reg.inputs);
    const created = await host.create(urn, checked.inputs);
    const id = created.id;
    const failing = async (what: string, call: () => Promise<unknown>, message: string) => {
      const before = host.stderr.length;
      fake.fault({ path: new RegExp(`^/api/stacks/${id}`), status: 500, times: 4 });
      const e = await call().then(
        () => undefined,
        (err: Error) => err,
      );
      fake.clearFaults();
      const printed = host.stderr.slice(before).join("");
      expect([what, e?.message]).toEqual([what, message]);
      // The host echoes check, diff, read and delete failures as `${e}: ${e.stack}`: the message alone.
      expect([what, printed]).toEqual([what, ["read", "delete"].includes(what) ? `phoenix: ${message}\n` : ""]);
    };
    const injected = (method: string, suffix = "") =>
      `Injected fault: Injected 500 (HTTP 500 ${method} /api/stacks/${id}${suffix})`;
    await failing(
      "read",
      () => host.read(id, urn, created.properties, checked.inputs),
      `Unable to read Portainer stack ${id}: ${injected("GET")}`,
    );
    await failing(
      "update",
      () =>
        host.update(id, urn, checked.inputs, created.properties, {
          ...checked.inputs,
          composeContent: "services: {}\n",
        }),
      `Unable to update Portainer stack ${id}: ${injected("PUT", `?endpointId=${env}`)}`,
    );
    await failing(
      "delete",
      () => host.delete(id, urn, checked.inputs, created.properties),
      `Unable to delete Portainer stack ${id}: ${injected("DELETE", `?endpointId=${env}`)}`,
    );
    fake.fault({ method: "POST", path: "/api/stacks/create/standalone/string", status: 500, times: 4 });
    const before = host.stderr.length;
    await expect(host.create(urn, { ...checked.inputs, name: "another" })).rejects.toThrow(
      /^Unable to create Portainer stack another: Injected fault/,
    );
    fake.clearFaults();
    expect(host.stderr.slice(before).join("")).toBe("");
    await host.delete(id, urn, checked.inputs, created.properties);
  });

  it(
    "pins known behaviour: pulumi import (Read with no state and no inputs) " + "cannot work for dynamic resources",
    async () => {
      const urn = urnOf("pulumi-nodejs:dynamic/portainer:Stack", "imported");
      await expect(host.read("7", urn, undefined, undefined)).rejects.toThrow(/code must be a string|__provider/);
    },
  );

  it("marks the API key output secret and creates it through the host", async () => {
    const regs = await captureRegistrations(() => {
      const key = new PortainerApiKey("phoenix-key", {
        url: fake.url,
        username: ADMIN.username,
        password: pulumi.secret(ADMIN.password),
      });
      pulumi.all([key.apiKey]).apply(() => undefined);
    });
    const reg = regs[0]!;
    expect(reg.type).toBe("pulumi-nodejs:dynamic/portainer:ApiKey");
    expect(reg.inputs["__provider"]).not.toContain(ADMIN.password);
    const urn = urnOf(reg.type, reg.name);
    const checked = await host.check(urn, {}, reg.inputs);
    const created = await host.create(urn, checked.inputs);
    expect(created.properties["apiKey"]).toMatch(/^ptr_/);
    expect(isSecret(created.properties["password"])).toBe(true);
    const refreshed = await host.read(created.id, urn, created.properties, checked.inputs);
    expect(refreshed.id).toBe(created.id);
    fake.revokeApiKey(Number(created.id));
    expect((await host.read(created.id, urn, created.properties, checked.inputs)).id).toBe("");
  });
});
