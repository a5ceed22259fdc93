// Proves: the PortainerStack provider's check, diff, create (new, adopted, refused, swarm, lost answer),
// read (drift in content, env, running state; deletion), update and delete, called directly against the
// fake Portainer, with the exact requests they send. Does not prove: the engine's use of them (see
// providerHost.test.ts for the gRPC host).
import {
  stackProvider as provider,
  normalizeCompose,
  type PortainerStackInputs,
  type PortainerStackOutputs,
} from "../../../providers/portainer/stack";
import { forgetVerifiedServers } from "../../../providers/portainer/client";
import { UNKNOWN } from "../../../providers/portainer/dynamic";
import { addAgent, addStack, bootstrappedFake } from "../../helpers/portainer";
import type { FakePortainer } from "../../fakes/portainer/server";

type Fake = FakePortainer & { jwt: string; apiKey: string };
let fake: Fake;
let env: number;
beforeEach(async () => {
  fake = await bootstrappedFake();
  env = await addAgent(fake, "Dr-Phoenix");
  fake.clearRequests();
  // Each test is a provider process of its own: it proves the server's identity first.
  forgetVerifiedServers();
});
afterEach(async () => fake.close());

const COMPOSE = "services:\n  qdrant:\n    image: qdrant/qdrant:v1.12.4\n";
function inputs(extra: Partial<PortainerStackInputs> = {}): PortainerStackInputs {
  return {
    connection: { url: fake.url, apiKey: fake.apiKey },
    endpointId: env,
    name: "qdrant_service",
    type: "standalone",
    composeContent: COMPOSE,
    env: [
      { name: "QDRANT_LOG_LEVEL", value: "INFO" },
      { name: "QDRANT_API_KEY", value: "s3cret" },
    ],
    running: true,
    pullImage: false,
    prune: false,
    adopt: true,
    ...extra,
  };
}
const calls = () =>
  fake.requests.map(
    (r) => `${r.method} ${r.path}${r.query["endpointId"] ? `?endpointId=${r.query["endpointId"]}` : ""} ${r.status}`,
  );

describe("PortainerStack check", () => {
  it("applies defaults and ignores __provider", async () => {
    const r = await provider.check!(
      {} as PortainerStackInputs,
      {
        __provider: "exports.handler=...",
        connection: { url: fake.url, apiKey: "k" },
        endpointId: 1,
        name: "web",
        composeContent: COMPOSE,
      } as never,
    );
    expect(r).toEqual({
      inputs: {
        connection: { url: fake.url, apiKey: "k" },
        endpointId: 1,
        name: "web",
        type: "standalone",
        composeContent: COMPOSE,
        env: [],
        running: true,
        pullImage: false,
        prune: false,
        adopt: true,
      },
    });
  });

  it("reports each bad property, and skips properties unknown during preview", async () => {
    const r = await provider.check!(
      {} as PortainerStackInputs,
      {
        connection: { url: "ftp://x", apiKey: "" },
        endpointId: UNKNOWN,
        name: "!!!",
        composeContent: "",
        type: "kubernetes",
      } as never,
    );
    expect(r.failures).toEqual([
      { property: "connection.url", reason: "must be an http or https URL" },
      { property: "connection.apiKey", reason: "must be a non-empty API key" },
      { property: "name", reason: "must contain a letter, digit, '-' or '_' (Portainer keeps only [-_a-z0-9])" },
      { property: "type", reason: 'Invalid option: expected one of "standalone"|"swarm"' },
      { property: "composeContent", reason: "must not be empty" },
    ]);
  });
});

describe("PortainerStack diff", () => {
  const outs = (): PortainerStackOutputs => ({ ...inputs(), stackId: 1, swarmId: "" });

  it.each([
    [
      "trailing whitespace and final newlines",
      { composeContent: "services:  \n  qdrant:\n    image: qdrant/qdrant:v1.12.4\n\n\n" },
    ],
    ["CRLF line ends", { composeContent: COMPOSE.replace(/\n/g, "\r\n") }],
    [
      "env order",
      {
        env: [
          { name: "QDRANT_API_KEY", value: "s3cret" },
          { name: "QDRANT_LOG_LEVEL", value: "INFO" },
        ],
      },
    ],
    ["name case and punctuation Portainer drops", { name: "Qdrant_Service." }],
    ["pullImage and prune (actions, not state)", { pullImage: true, prune: true }],
  ])("sees no change for %s", async (_what, change) => {
    expect(await provider.diff!("1", outs(), inputs(change))).toEqual({ changes: false, replaces: [] });
  });

  it.each([
    ["compose content", { composeContent: COMPOSE.replace("v1.12.4", "v1.13.0") }, { changes: true, replaces: [] }],
    [
      "an env value",
      {
        env: [
          { name: "QDRANT_LOG_LEVEL", value: "DEBUG" },
          { name: "QDRANT_API_KEY", value: "s3cret" },
        ],
      },
      { changes: true, replaces: [] },
    ],
    ["running state", { running: false }, { changes: true, replaces: [] }],
    ["the API key", { connection: { url: "http://x:9000", apiKey: "other" } }, { changes: true, replaces: [] }],
    ["content unknown in preview", { composeContent: UNKNOWN }, { changes: true, replaces: [] }],
    [
      "the environment (same name: delete first)",
      { endpointId: 7 },
      { changes: true, replaces: ["endpointId"], deleteBeforeReplace: true },
    ],
    ["the name (create first)", { name: "qdrant2" }, { changes: true, replaces: ["name"] }],
  ])("sees a change of %s", async (_what, change, expected) => {
    expect(await provider.diff!("1", outs(), inputs(change as Partial<PortainerStackInputs>))).toEqual(expected);
  });
});

describe("PortainerStack create", () => {
  it("creates a new stack with its full Env", async () => {
    const r = await provider.create(inputs());
    expect(r).toEqual({ id: "1", outs: { ...inputs(), stackId: 1, swarmId: "", orphaned: false } });
    expect(calls()).toEqual([
      "GET /api/system/status 200",
      "GET /api/stacks 200",
      `POST /api/stacks/create/standalone/string?endpointId=${env} 200`,
    ]);
    expect(fake.requests.at(-1)!.json).toEqual({
      Name: "qdrant_service",
      StackFileContent: COMPOSE,
      Env: inputs().env,
    });
  });

  it("creates a stopped stack when running is false", async () => {
    await provider.create(inputs({ running: false }));
    expect(calls().at(-1)).toBe(`POST /api/stacks/1/stop?endpointId=${env} 200`);
    expect(fake.state.stacks[0]!.Status).toBe(2);
  });

  it("adopts a stack with the same normalised name and brings it to the desired state", async () => {
    const existing = await addStack(fake, env, "Qdrant_Service", [{ name: "OLD", value: "1" }]);
    fake.editStack(existing, { Status: 2 });
    fake.clearRequests();
    const r = await provider.create(inputs());
    expect(r.id).toBe(String(existing));
    expect(fake.state.stacks).toHaveLength(1);
    expect(fake.state.stacks[0]).toMatchObject({ fileContent: COMPOSE, Env: inputs().env, Status: 1 });
    expect(calls()).toEqual([
      "GET /api/system/status 200",
      "GET /api/stacks 200",
      `PUT /api/stacks/${existing}?endpointId=${env} 200`,
    ]);
  });

  it("refuses to adopt when adopt is false, naming the existing stack", async () => {
    await addStack(fake, env, "qdrant_service");
    await expect(provider.create(inputs({ adopt: false }))).rejects.toThrow(
      `Portainer stack qdrant_service (id 1) already exists on environment ` +
        `${env}; set adopt: true to manage it, or delete it first`,
    );
  });

  it("creates a swarm stack with the environment's swarm id", async () => {
    const swarmId = fake.makeSwarm(env, "swarm-xyz");
    const r = await provider.create(inputs({ type: "swarm" }));
    expect(r.outs).toMatchObject({ stackId: 1, swarmId });
    expect(fake.requests.find((q) => q.path.endsWith("/swarm/string"))!.json).toMatchObject({ SwarmID: "swarm-xyz" });
  });

  it("never makes a duplicate when the create's answer is lost", async () => {
    fake.fault({ method: "POST", path: "/api/stacks/create/standalone/string", reset: "after" });
    const r = await provider.create(inputs());
    expect(r.id).toBe("1");
    expect(fake.state.stacks).toHaveLength(1);
  });

  it(
    "retries a failed deploy (a 500) behind the lookup, then fails with " + "Portainer's message and saves nothing",
    async () => {
      for (let i = 0; i < 4; i++)
        fake.failNextDeploy("failed to deploy a stack: manifest for qdrant/qdrant:v9 not found");
      await expect(provider.create(inputs())).rejects.toThrow(
        "Unable to create Portainer stack qdrant_service: failed to deploy a " +
          "stack: manifest for qdrant/qdrant:v9 not found",
      );
      expect(fake.state.stacks).toEqual([]);
      expect(
        calls()
          .slice(2)
          .map((c) => c.split(" ")[0]),
      ).toEqual(["POST", "GET", "POST", "GET", "POST", "GET", "POST"]);
    },
  );
});

describe("PortainerStack read", () => {
  let created: PortainerStackOutputs;
  beforeEach(async () => {
    created = (await provider.create(inputs())).outs as PortainerStackOutputs;
    fake.clearRequests();
  });

  it("returns the live stack and inputs derived from it (no computed outputs); no drift diffs clean", async () => {
    const r = await provider.read!("1", created);
    expect(r.props).toEqual(created);
    expect(r.inputs).toEqual(inputs());
    expect(await provider.diff!("1", r.props!, inputs())).toEqual({ changes: false, replaces: [] });
    expect(calls()).toEqual(["GET /api/stacks/1 200", `GET /api/endpoints/${env} 200`, "GET /api/stacks/1/file 200"]);
  });

  it.each([
    [
      "compose edited",
      (f: Fake) => f.editStack(1, { fileContent: "services:\n  other:\n    image: x\n" }),
      { composeContent: "services:\n  other:\n    image: x\n" },
    ],
    [
      "env changed",
      (f: Fake) => f.editStack(1, { Env: [{ name: "QDRANT_LOG_LEVEL", value: "TRACE" }] }),
      { env: [{ name: "QDRANT_LOG_LEVEL", value: "TRACE" }] },
    ],
    ["stack stopped", (f: Fake) => f.editStack(1, { Status: 2 }), { running: false }],
  ])("shows drift: %s", async (_what, drift, expected) => {
    drift(fake);
    const r = await provider.read!("1", created);
    expect(r.props).toMatchObject(expected);
    expect(r.inputs).toMatchObject(expected);
    expect((await provider.diff!("1", r.props!, inputs())).changes).toBe(true);
  });

  it("rides out a reset connection and a 503 burst", async () => {
    fake.fault({ method: "GET", path: "/api/stacks/1", reset: "before" });
    fake.fault({ method: "GET", path: "/api/stacks/1/file", status: 503, times: 2 });
    const r = await provider.read!("1", created);
    expect(r.props).toEqual(created);
  });

  it("returns no id when the stack was deleted", async () => {
    fake.removeStack(1);
    expect(await provider.read!("1", created)).toEqual({});
  });

  it("refuses pulumi import (no state) with a clear message", async () => {
    await expect(provider.read!("1", undefined)).rejects.toThrow(
      "Unable to read Portainer stack 1: pulumi import is not supported for " +
        "dynamic resources; declare it in the program and it is adopted by name",
    );
  });
});

describe("PortainerStack update and delete", () => {
  let created: PortainerStackOutputs;
  beforeEach(async () => {
    created = (await provider.create(inputs())).outs as PortainerStackOutputs;
    fake.clearRequests();
  });

  it("redeploys changed content with the full Env, and pulls images when asked", async () => {
    const news = inputs({ composeContent: COMPOSE.replace("v1.12.4", "v1.13.0"), pullImage: true });
    const r = await provider.update!("1", created, news);
    expect(r.outs).toEqual({ ...news, stackId: 1, swarmId: "", orphaned: false });
    expect(calls()).toEqual([`PUT /api/stacks/1?endpointId=${env} 200`]);
    expect(fake.requests.at(-1)!.json).toEqual({
      StackFileContent: news.composeContent,
      Env: news.env,
      Prune: false,
      PullImage: true,
    });
  });

  it("stops and starts without redeploying", async () => {
    await provider.update!("1", created, inputs({ running: false }));
    expect(fake.state.stacks[0]!.Status).toBe(2);
    await provider.update!("1", { ...created, running: false }, inputs());
    expect(fake.state.stacks[0]!.Status).toBe(1);
    expect(calls().filter((c) => c.startsWith("PUT"))).toEqual([]);
  });

  it("sends no write when only the connection changed", async () => {
    await provider.update!("1", created, inputs());
    expect(fake.requests.filter((q) => q.method !== "GET")).toEqual([]);
  });

  it("explains an update of a stack deleted outside Pulumi", async () => {
    fake.removeStack(1);
    await expect(
      provider.update!("1", created, inputs({ composeContent: "services:\n  a:\n    image: b\n" })),
    ).rejects.toThrow(
      "Portainer stack qdrant_service (id 1) no longer exists: it was deleted " +
        "outside Pulumi; run pulumi refresh, then pulumi up to create it again",
    );
  });

  it("deletes with the stack's endpointId, retries 5xx, and treats not-found as done", async () => {
    fake.fault({ method: "DELETE", path: "/api/stacks/1", status: 503, times: 2 });
    await provider.delete!("1", created);
    expect(calls().filter((c) => c.startsWith("DELETE"))).toEqual([
      `DELETE /api/stacks/1?endpointId=${env} 503`,
      `DELETE /api/stacks/1?endpointId=${env} 503`,
      `DELETE /api/stacks/1?endpointId=${env} 204`,
    ]);
    await expect(provider.delete!("1", created)).resolves.toBeUndefined();
  });
});

describe("normalizeCompose", () => {
  it("keeps meaningful whitespace inside lines", () => {
    expect(normalizeCompose("a:  b  \n  c: 'x  y'   \n\n")).toBe("a:  b\n  c: 'x  y'");
  });
});

describe("PortainerStack on a lost environment", () => {
  /** Deploys the stack, deletes its environment out of band, and registers the agent again (a new id). */
  async function orphanIt(): Promise<{ created: PortainerStackOutputs; newEnv: number }> {
    const created = (await provider.create(inputs())).outs as PortainerStackOutputs;
    fake.removeEnvironment(env);
    const newEnv = await addAgent(fake, "Dr-Phoenix");
    fake.clearRequests();
    return { created, newEnv };
  }

  it("reads the stack as orphaned, which diffs as a change in place, also when nothing else changed", async () => {
    const { created, newEnv } = await orphanIt();
    const r = await provider.read!("1", created);
    expect([
      (r.props as PortainerStackOutputs).orphaned,
      r.props!.endpointId,
      (r.inputs as unknown as Record<string, unknown>)["orphaned"],
    ]).toEqual([true, env, true]);
    expect(await provider.diff!("1", r.props!, inputs())).toEqual({ changes: true, replaces: [] });
    expect(await provider.diff!("1", r.props!, inputs({ endpointId: newEnv }))).toEqual({
      changes: true,
      replaces: [],
    });
    expect(await provider.diff!("1", r.props!, inputs({ endpointId: UNKNOWN as never }))).toEqual({
      changes: true,
      replaces: [],
    });
  });

  it("associates the orphan with the new environment and redeploys it there, in one update", async () => {
    const { created, newEnv } = await orphanIt();
    const orphan = (await provider.read!("1", created)).props as PortainerStackOutputs;
    fake.clearRequests();
    const r = await provider.update!("1", orphan, inputs({ endpointId: newEnv }));
    expect(r.outs).toEqual({ ...inputs({ endpointId: newEnv }), stackId: 1, swarmId: "", orphaned: false });
    expect(calls()).toEqual([
      `PUT /api/stacks/1/associate?endpointId=${newEnv} 200`,
      `PUT /api/stacks/1?endpointId=${newEnv} 200`,
    ]);
    expect(fake.requests[0]!.query).toEqual({ endpointId: String(newEnv), swarmId: "", orphanedRunning: "true" });
    expect(fake.state.stacks.map((s) => [s.Id, s.EndpointId, s.Status])).toEqual([[1, newEnv, 1]]);
    expect((await provider.read!("1", r.outs as PortainerStackOutputs)).props).toMatchObject({
      orphaned: false,
      endpointId: newEnv,
    });
  });

  it("adopts an orphan of the same name when it creates the stack (the state lost it)", async () => {
    const { newEnv } = await orphanIt();
    // A plain create is refused: the orphan's containers still run on that host (CONTRACT.md 6.2).
    const refused = await fetch(`${fake.url}/api/stacks/create/standalone/string?endpointId=${newEnv}`, {
      method: "POST",
      headers: { "X-API-Key": fake.apiKey },
      body: JSON.stringify({ Name: "qdrant_service", StackFileContent: COMPOSE }),
    });
    expect([refused.status, await refused.json()]).toEqual([
      409,
      {
        message: "A stack with the normalized name 'qdrant_service' already exists",
        details: "A stack with the normalized name 'qdrant_service' already exists",
      },
    ]);
    fake.clearRequests();
    const r = await provider.create(inputs({ endpointId: newEnv }));
    expect(r.id).toBe("1");
    expect(calls()).toEqual([
      "GET /api/stacks 200",
      `GET /api/endpoints/${env} 404`,
      `PUT /api/stacks/1/associate?endpointId=${newEnv} 200`,
      `PUT /api/stacks/1?endpointId=${newEnv} 200`,
    ]);
    expect(fake.state.stacks.map((s) => [s.Id, s.EndpointId])).toEqual([[1, newEnv]]);
  });

  it("refuses to guess between several orphans of the same name", async () => {
    await provider.create(inputs());
    const other = await addAgent(fake, "Other", "tcp://10.0.0.103:9001");
    await provider.create(inputs({ endpointId: other }));
    fake.removeEnvironment(env);
    fake.removeEnvironment(other);
    const third = await addAgent(fake, "Third", "tcp://10.0.0.104:9001");
    await expect(provider.create(inputs({ endpointId: third }))).rejects.toThrow(
      `Portainer has 2 orphaned stacks named qdrant_service (ids 1, 2), left by ` +
        `deleted environments; phoenix cannot tell which one ran on environment ` +
        `${third}: delete all but that one in Portainer, then run pulumi up again`,
    );
  });

  it("on delete, leaves an orphan it cannot delete and says so; a stack already gone is just gone", async () => {
    const { created } = await orphanIt();
    await provider.delete!("1", created);
    expect(fake.state.stacks.map((s) => s.Id)).toEqual([1]);
    fake.removeStack(1);
    await provider.delete!("1", created);
  });
});

describe("PortainerStack after the API key was replaced", () => {
  it("compares with the live stack, not the state refreshed with the refused key", async () => {
    const created = (await provider.create(inputs())).outs as PortainerStackOutputs;
    // State kept while the old key was refused; meanwhile the stack was stopped and edited in Portainer.
    const stale = { ...created, connection: { url: fake.url, apiKey: "ptr_revoked" } };
    fake.editStack(1, { Status: 2, fileContent: "services: {}\n" });
    fake.clearRequests();
    await provider.update!("1", stale, inputs());
    expect(calls()).toEqual([
      "GET /api/stacks/1 200",
      "GET /api/stacks/1/file 200",
      `PUT /api/stacks/1?endpointId=${env} 200`,
    ]);
    expect(fake.state.stacks.map((s) => [s.Status, s.fileContent])).toEqual([[1, COMPOSE]]);
  });
});
