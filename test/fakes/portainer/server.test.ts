// Proves: the fake Portainer behaves as ../shared/portainer/CONTRACT.md describes, one test per gotcha of
// section 10 that applies to a server (numbers in the test names), plus fault injection, recording and
// persistence. Driven with plain fetch, independent of the client.
// Does not prove: that real Portainer still behaves so (the contract's sources do; nothing here ran one).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFakePortainer, type FakePortainer } from "./server";
import { ADMIN, addAgent, addStack, bootstrap, bootstrappedFake, call } from "../../helpers/portainer";

type Fake = FakePortainer & { jwt: string; apiKey: string };
let fake: Fake;
afterEach(async () => fake?.close());

const body = (r: { body: unknown }) => r.body as Record<string, unknown>;

describe("fake Portainer: stacks", () => {
  beforeEach(async () => (fake = await bootstrappedFake()));

  it(
    "10.1 creates stacks on /api/stacks/create/{type}/string; 2.19.0 answers " + "the legacy POST /api/stacks with 405",
    async () => {
      const id = await addAgent(fake, "agent-1");
      const r = await call(fake, "POST", `/api/stacks/create/standalone/string?endpointId=${id}`, {
        apiKey: fake.apiKey,
        json: { Name: "web", StackFileContent: "services:\n  a:\n    image: x\n" },
      });
      expect(r.status).toBe(200);
      expect(body(r)).toMatchObject({
        Id: 1,
        Name: "web",
        Type: 2,
        EndpointId: id,
        Status: 1,
        ProjectPath: "/data/compose/1",
        Env: null,
        EntryPoint: "docker-compose.yml",
      });
      const old = await startFakePortainer({ version: "2.19.0" });
      try {
        const creds = await bootstrap(old);
        const legacy = await call(old, "POST", "/api/stacks?type=2&method=string&endpointId=1", {
          apiKey: creds.apiKey,
          json: {},
        });
        expect([legacy.status, legacy.text]).toEqual([405, ""]);
      } finally {
        await old.close();
      }
    },
  );

  it("10.9 normalises stack names and answers a duplicate with 409", async () => {
    const id = await addAgent(fake, "agent-1");
    const create = (Name: string) =>
      call(fake, "POST", `/api/stacks/create/standalone/string?endpointId=${id}`, {
        apiKey: fake.apiKey,
        json: { Name, StackFileContent: "services:\n  a:\n    image: x\n" },
      });
    expect(body(await create("My App.v2")).Name).toBe("myappv2");
    const dup = await create("MYAPPV2");
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      message: "A stack with the normalized name 'myappv2' already exists",
      details: "A stack with the normalized name 'myappv2' already exists",
    });
  });

  it("10.10 filters by EndpointID return compose stacks only; SwarmID adds the swarm stacks", async () => {
    const id = await addAgent(fake, "agent-1");
    const swarmId = fake.makeSwarm(id, "swarm-abc");
    await addStack(fake, id, "compose-one");
    const s = await call(fake, "POST", `/api/stacks/create/swarm/string?endpointId=${id}`, {
      apiKey: fake.apiKey,
      json: { Name: "swarm-one", SwarmID: swarmId, StackFileContent: "services:\n  a:\n    image: x\n" },
    });
    expect(body(s)).toMatchObject({ Type: 1, SwarmId: "swarm-abc" });
    const names = async (filters: unknown) =>
      (
        (
          await call(fake, "GET", `/api/stacks?filters=${encodeURIComponent(JSON.stringify(filters))}`, {
            apiKey: fake.apiKey,
          })
        ).body as { Name: string }[]
      ).map((x) => x.Name);
    expect(await names({ EndpointID: id })).toEqual(["compose-one"]);
    expect(await names({ EndpointID: id, SwarmID: swarmId })).toEqual(["compose-one", "swarm-one"]);
    const bad = await call(fake, "GET", "/api/stacks?filters=%7Bnope", { apiKey: fake.apiKey });
    expect([bad.status, body(bad).message]).toEqual([400, "Invalid query parameter: filters"]);
  });

  it("10.11 PUT replaces Env wholesale (omitted clears it) and requires StackFileContent", async () => {
    const id = await addAgent(fake, "agent-1");
    const stack = await addStack(fake, id, "web", [
      { name: "A", value: "1" },
      { name: "B", value: "2" },
    ]);
    const noFile = await call(fake, "PUT", `/api/stacks/${stack}?endpointId=${id}`, {
      apiKey: fake.apiKey,
      json: { Env: [] },
    });
    expect([noFile.status, body(noFile).details]).toEqual([400, "Invalid stack file content"]);
    const r = await call(fake, "PUT", `/api/stacks/${stack}?endpointId=${id}`, {
      apiKey: fake.apiKey,
      json: { StackFileContent: "services:\n  b:\n    image: y\n" },
    });
    expect(r.status).toBe(200);
    expect(body(r).Env).toBeNull();
    expect(body(r).UpdatedBy).toBe("admin");
    const missingEndpoint = await call(fake, "PUT", `/api/stacks/${stack}`, {
      apiKey: fake.apiKey,
      json: { StackFileContent: "services:\n  b:\n    image: y\n" },
    });
    expect(missingEndpoint.body).toEqual({
      message: "Invalid query parameter: endpointId",
      details: "Missing query parameter",
    });
  });

  it("10.12 DELETE without the stack's endpointId is a 404 and keeps the stack; with it, 204", async () => {
    const id = await addAgent(fake, "agent-1");
    const stack = await addStack(fake, id, "web");
    const r = await call(fake, "DELETE", `/api/stacks/${stack}`, { apiKey: fake.apiKey });
    expect([r.status, body(r).message]).toEqual([
      404,
      "Unable to find the endpoint associated to the stack inside the database",
    ]);
    expect(fake.state.stacks).toHaveLength(1);
    expect((await call(fake, "DELETE", `/api/stacks/${stack}?endpointId=${id}`, { apiKey: fake.apiKey })).status).toBe(
      204,
    );
    expect(fake.state.stacks).toHaveLength(0);
  });

  it("10.13 deleting an environment leaves its stacks orphaned", async () => {
    const id = await addAgent(fake, "agent-1");
    await addStack(fake, id, "web");
    expect((await call(fake, "DELETE", `/api/endpoints/${id}`, { apiKey: fake.apiKey })).status).toBe(204);
    const all = await call(fake, "GET", "/api/stacks", { apiKey: fake.apiKey });
    expect((all.body as { Name: string }[]).map((s) => s.Name)).toEqual(["web"]);
    const filtered = await call(
      fake,
      "GET",
      `/api/stacks?filters=${encodeURIComponent(JSON.stringify({ EndpointID: id }))}`,
      { apiKey: fake.apiKey },
    );
    expect(filtered.body).toEqual([]);
    const withOrphans = await call(
      fake,
      "GET",
      `/api/stacks?filters=${encodeURIComponent(JSON.stringify({ EndpointID: id, IncludeOrphanedStacks: true }))}`,
      { apiKey: fake.apiKey },
    );
    expect((withOrphans.body as unknown[]).length).toBe(1);
  });

  it(
    "6.2 an orphan's containers still on the host refuse a same-name stack " +
      "there; /associate moves the orphan without deploying",
    async () => {
      const id = await addAgent(fake, "agent-1");
      const stack = await addStack(fake, id, "web");
      await call(fake, "DELETE", `/api/endpoints/${id}`, { apiKey: fake.apiKey });
      const again = await addAgent(fake, "agent-1");
      const elsewhere = await addAgent(fake, "agent-2", "tcp://10.0.0.103:9001");
      const create = (env: number) =>
        call(fake, "POST", `/api/stacks/create/standalone/string?endpointId=${env}`, {
          apiKey: fake.apiKey,
          json: { Name: "web", StackFileContent: "services:\n  web:\n    image: nginx:1.27\n" },
        });
      expect([(await create(again)).status, (await create(again)).body]).toEqual([
        409,
        {
          message: "A stack with the normalized name 'web' already exists",
          details: "A stack with the normalized name 'web' already exists",
        },
      ]);
      expect((await create(elsewhere)).status).toBe(200);
      const associate = (q: string) => call(fake, "PUT", `/api/stacks/${stack}/associate${q}`, { apiKey: fake.apiKey });
      expect([
        (await associate("")).status,
        (await associate("?endpointId=99&swarmId=&orphanedRunning=true")).status,
      ]).toEqual([400, 404]);
      const moved = await associate(`?endpointId=${again}&swarmId=&orphanedRunning=false`);
      expect([
        moved.status,
        (moved.body as { EndpointId: number; Status: number }).EndpointId,
        (moved.body as { Status: number }).Status,
      ]).toEqual([200, again, 2]);
      expect(
        (await call(fake, "PUT", `/api/stacks/${stack}/associate?endpointId=${again}`, { bearer: "not-a-jwt" })).status,
      ).toBe(401);
    },
  );

  it(
    "10.14 a failed deploy is a 500 with the compose error; create saves " + "nothing, update keeps the record",
    async () => {
      const id = await addAgent(fake, "agent-1");
      const bad = await call(fake, "POST", `/api/stacks/create/standalone/string?endpointId=${id}`, {
        apiKey: fake.apiKey,
        json: { Name: "web", StackFileContent: "services: [" },
      });
      expect(bad.status).toBe(500);
      expect(body(bad).message).toMatch(/^failed to deploy a stack: yaml: /);
      expect(fake.state.stacks).toEqual([]);
      const stack = await addStack(fake, id, "web");
      fake.failNextDeploy("failed to deploy a stack: image not found");
      const upd = await call(fake, "PUT", `/api/stacks/${stack}?endpointId=${id}`, {
        apiKey: fake.apiKey,
        json: { StackFileContent: "services:\n  z:\n    image: z\n" },
      });
      expect(upd.body).toEqual({
        message: "failed to deploy a stack: image not found",
        details: "Failed to deploy a stack: image not found",
      });
      expect(fake.state.stacks[0]!.fileContent).toBe("services:\n  web:\n    image: nginx:1.27\n");
    },
  );

  it("answers 400 when starting an active stack or stopping an inactive one", async () => {
    const id = await addAgent(fake, "agent-1");
    const stack = await addStack(fake, id, "web");
    const start = await call(fake, "POST", `/api/stacks/${stack}/start?endpointId=${id}`, { apiKey: fake.apiKey });
    expect([start.status, start.body]).toEqual([
      400,
      { message: "Stack is already active", details: "Stack is already active" },
    ]);
    expect(
      body(await call(fake, "POST", `/api/stacks/${stack}/stop?endpointId=${id}`, { apiKey: fake.apiKey })).Status,
    ).toBe(2);
    const again = await call(fake, "POST", `/api/stacks/${stack}/stop?endpointId=${id}`, { apiKey: fake.apiKey });
    expect([again.status, body(again).message]).toEqual([400, "Stack is already inactive"]);
  });

  it("10.25 a swarm stack needs a swarm manager, and its external configs must exist", async () => {
    const id = await addAgent(fake, "agent-1");
    const content = "services:\n  a:\n    image: x\n    configs: [app]\nconfigs:\n  app:\n    external: true\n";
    const notSwarm = await call(fake, "POST", `/api/stacks/create/swarm/string?endpointId=${id}`, {
      apiKey: fake.apiKey,
      json: { Name: "s", SwarmID: "x", StackFileContent: content },
    });
    expect([notSwarm.status, body(notSwarm).message]).toEqual([
      500,
      'This node is not a swarm manager. Use "docker swarm init" or "docker ' +
        'swarm join" to connect this node to swarm and try again.',
    ]);
    const swarmId = fake.makeSwarm(id);
    const swarm = await call(fake, "GET", `/api/endpoints/${id}/docker/swarm`, { apiKey: fake.apiKey });
    expect(body(swarm).ID).toBe(swarmId);
    const missing = await call(fake, "POST", `/api/stacks/create/swarm/string?endpointId=${id}`, {
      apiKey: fake.apiKey,
      json: { Name: "s", SwarmID: swarmId, StackFileContent: content },
    });
    expect(body(missing).message).toBe("failed to deploy a stack: config not found: app");
  });
});

describe("fake Portainer: environments, groups and tags", () => {
  beforeEach(async () => (fake = await bootstrappedFake()));

  it("10.2 TagIds must be one field holding a JSON array; repeated or CSV fields are a 400", async () => {
    const tag = body(await call(fake, "POST", "/api/tags", { apiKey: fake.apiKey, json: { Name: "prod" } }));
    const base: [string, string][] = [
      ["EndpointCreationType", "1"],
      ["URL", "tcp://10.0.0.5:2375"],
    ];
    const ok = await call(fake, "POST", "/api/endpoints", {
      apiKey: fake.apiKey,
      form: [["Name", "a"], ...base, ["TagIds", `[${tag.ID}]`]],
    });
    expect(body(ok).TagIds).toEqual([tag.ID]);
    for (const form of [
      [
        ["TagIds", "1"],
        ["TagIds", "1"],
      ],
      [["TagIds", "1,2"]],
    ] as [string, string][][]) {
      const r = await call(fake, "POST", "/api/endpoints", {
        apiKey: fake.apiKey,
        form: [["Name", "b"], ...base, ...form],
      });
      expect([r.status, r.body]).toEqual([
        400,
        { message: "Invalid request payload", details: "Invalid TagIds parameter" },
      ]);
    }
  });

  it("10.3 form booleans are true only when exactly 'true': TLS=True makes the agent ping fail", async () => {
    const r = await call(fake, "POST", "/api/endpoints", {
      apiKey: fake.apiKey,
      form: [
        ["Name", "agent"],
        ["EndpointCreationType", "2"],
        ["URL", "tcp://10.0.0.102:9001"],
        ["TLS", "True"],
        ["TLSSkipVerify", "True"],
        ["TLSSkipClientVerify", "True"],
      ],
    });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({
      message: "Unable to get environment type",
      details:
        'Get "https://10.0.0.102:9001/ping": tls: failed to verify certificate: ' +
        "x509: certificate signed by unknown authority",
    });
    expect(fake.state.endpoints).toEqual([]);
  });

  it("10.4 an agent is registered as tcp:// with the three TLS flags; an unreachable agent is a 500", async () => {
    const id = await addAgent(fake, "agent-1", "tcp://10.0.0.102:9001");
    expect(fake.state.endpoints[0]).toMatchObject({
      Id: id,
      Type: 2,
      URL: "tcp://10.0.0.102:9001",
      TLS: true,
      TLSSkipVerify: true,
      GroupId: 1,
      Status: 1,
    });
    fake.setUnreachable("tcp://10.0.0.103:9001");
    await expect(addAgent(fake, "agent-2", "tcp://10.0.0.103:9001")).rejects.toThrow(
      'add agent: 500 {"message":"Unable to get environment ' +
        'type","details":"Get \\"https://10.0.0.103:9001/ping\\": dial tcp ' +
        '10.0.0.103:9001: connect: connection refused"}',
    );
  });

  it("10.5 a Docker environment Portainer cannot reach is a 500 and nothing is created", async () => {
    fake.setUnreachable("tcp://10.0.0.9:2375");
    const r = await call(fake, "POST", "/api/endpoints", {
      apiKey: fake.apiKey,
      form: [
        ["Name", "d"],
        ["EndpointCreationType", "1"],
        ["URL", "tcp://10.0.0.9:2375"],
      ],
    });
    expect([r.status, body(r).message]).toEqual([500, "Unable to initiate communications with environment"]);
    expect(fake.state.endpoints).toEqual([]);
  });

  it("10.6 an unknown GroupID is a 500 raised after the environment was saved", async () => {
    const r = await call(fake, "POST", "/api/endpoints", {
      apiKey: fake.apiKey,
      form: [
        ["Name", "d"],
        ["EndpointCreationType", "1"],
        ["GroupID", "42"],
      ],
    });
    expect([r.status, body(r).message]).toEqual([500, "Unable to find an environment group inside the database"]);
    const found = await call(fake, "GET", "/api/endpoints?name=d", { apiKey: fake.apiKey });
    expect((found.body as { Name: string; URL: string }[]).map((e) => [e.Name, e.URL])).toEqual([
      ["d", "unix:///var/run/docker.sock"],
    ]);
  });

  it("10.7 answers in Portainer's casing: Tag ID, PascalCase environments, camelCase API keys", async () => {
    const tag = await call(fake, "POST", "/api/tags", {
      apiKey: fake.apiKey,
      json: { name: "lower-case-key-accepted" },
    });
    expect(tag.body).toEqual({ ID: 1, Name: "lower-case-key-accepted", Endpoints: {}, EndpointGroups: {} });
    const keys = await call(fake, "GET", "/api/users/1/tokens", { apiKey: fake.apiKey });
    expect(Object.keys((keys.body as object[])[0]!).sort()).toEqual([
      "dateCreated",
      "description",
      "id",
      "lastUsed",
      "prefix",
      "userId",
    ]);
    const id = await addAgent(fake, "agent-1");
    const env = body(await call(fake, "GET", `/api/endpoints/${id}`, { apiKey: fake.apiKey }));
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        "Id",
        "Name",
        "Type",
        "URL",
        "GroupId",
        "TagIds",
        "Status",
        "TLSConfig",
        "SecuritySettings",
      ]),
    );
    expect(Object.keys(env["SecuritySettings"] as object)).toContain("allowBindMountsForRegularUsers");
  });

  it("10.8 an update takes GroupID/TagIDs and answers GroupId/TagIds; a duplicate name is a 409", async () => {
    const group = body(
      await call(fake, "POST", "/api/endpoint_groups", {
        apiKey: fake.apiKey,
        json: { Name: "lab", Description: "the lab" },
      }),
    );
    const tag = body(await call(fake, "POST", "/api/tags", { apiKey: fake.apiKey, json: { Name: "x" } }));
    const a = await addAgent(fake, "agent-1");
    await addAgent(fake, "agent-2", "tcp://10.0.0.103:9001");
    const r = await call(fake, "PUT", `/api/endpoints/${a}`, {
      apiKey: fake.apiKey,
      json: { GroupID: group.Id, TagIDs: [tag.ID] },
    });
    expect(body(r)).toMatchObject({ GroupId: group.Id, TagIds: [tag.ID] });
    const dup = await call(fake, "PUT", `/api/endpoints/${a}`, { apiKey: fake.apiKey, json: { Name: "agent-2" } });
    expect([dup.status, dup.body]).toEqual([409, { message: "Name is not unique", details: "Name is not unique" }]);
    const badTag = await call(fake, "PUT", `/api/endpoints/${a}`, { apiKey: fake.apiKey, json: { TagIDs: [99] } });
    expect([badTag.status, body(badTag).message]).toEqual([500, "Unable to update environment tags"]);
  });

  it("refuses duplicate environment and tag names, allows duplicate group names, protects group 1", async () => {
    await addAgent(fake, "agent-1");
    const dup = await call(fake, "POST", "/api/endpoints", {
      apiKey: fake.apiKey,
      form: [
        ["Name", "agent-1"],
        ["EndpointCreationType", "1"],
      ],
    });
    expect([dup.status, body(dup).message]).toEqual([409, "Name is not unique"]);
    await call(fake, "POST", "/api/tags", { apiKey: fake.apiKey, json: { Name: "t" } });
    const tagDup = await call(fake, "POST", "/api/tags", { apiKey: fake.apiKey, json: { Name: "t" } });
    expect(tagDup.body).toEqual({
      message: "This name is already associated to a tag",
      details: "A tag already exists with this name",
    });
    const g1 = await call(fake, "POST", "/api/endpoint_groups", { apiKey: fake.apiKey, json: { Name: "same" } });
    const g2 = await call(fake, "POST", "/api/endpoint_groups", { apiKey: fake.apiKey, json: { Name: "same" } });
    expect([body(g1).Id, body(g2).Id]).toEqual([2, 3]);
    const del = await call(fake, "DELETE", "/api/endpoint_groups/1", { apiKey: fake.apiKey });
    expect([del.status, del.body]).toEqual([
      403,
      {
        message: "Unable to remove the default 'Unassigned' group",
        details: "Cannot remove the default environment group",
      },
    ]);
  });

  it("10.23 list filters need brackets; name is exact; X-Total-Count counts before paging", async () => {
    await addAgent(fake, "agent-1");
    await addAgent(fake, "agent-10", "tcp://10.0.0.110:9001");
    await call(fake, "POST", "/api/endpoints", {
      apiKey: fake.apiKey,
      form: [
        ["Name", "local"],
        ["EndpointCreationType", "1"],
      ],
    });
    const names = (r: { body: unknown }) => (r.body as { Name: string }[]).map((e) => e.Name);
    expect(names(await call(fake, "GET", "/api/endpoints?name=agent-1", { apiKey: fake.apiKey }))).toEqual(["agent-1"]);
    expect(names(await call(fake, "GET", "/api/endpoints?types[]=1", { apiKey: fake.apiKey }))).toEqual(["local"]);
    expect(names(await call(fake, "GET", "/api/endpoints?types=1", { apiKey: fake.apiKey }))).toEqual([
      "agent-1",
      "agent-10",
      "local",
    ]);
    const page = await call(fake, "GET", "/api/endpoints?search=agent&start=2&limit=1", { apiKey: fake.apiKey });
    expect([names(page), page.headers.get("x-total-count"), page.headers.get("x-total-available")]).toEqual([
      ["agent-10"],
      "2",
      "3",
    ]);
  });
});

describe("fake Portainer: authentication and bootstrap", () => {
  it("10.15 API keys are created only with a JWT, for oneself, with the password, answering 201", async () => {
    fake = await bootstrappedFake();
    const withKey = await call(fake, "POST", "/api/users/1/tokens", {
      apiKey: fake.apiKey,
      json: { description: "x", password: ADMIN.password },
    });
    expect([withKey.status, withKey.body]).toEqual([
      401,
      { message: "Auth not supported", details: "Authentication required" },
    ]);
    const noPassword = await call(fake, "POST", "/api/users/1/tokens", {
      bearer: fake.jwt,
      json: { description: "x" },
    });
    expect(noPassword.body).toEqual({
      message: "Invalid request payload",
      details: "Invalid password: cannot be empty",
    });
    const wrong = await call(fake, "POST", "/api/users/1/tokens", {
      bearer: fake.jwt,
      json: { description: "x", password: "not-the-password" },
    });
    expect([wrong.status, body(wrong).message]).toEqual([403, "Current password doesn't match"]);
    const other = await call(fake, "POST", "/api/users/2/tokens", {
      bearer: fake.jwt,
      json: { description: "x", password: ADMIN.password },
    });
    expect([other.status, body(other).message]).toEqual([403, "Permission denied to create user access token"]);
    const ok = await call(fake, "POST", "/api/users/1/tokens", {
      bearer: fake.jwt,
      json: { description: "x", password: ADMIN.password },
    });
    expect(ok.status).toBe(201);
    expect(body(ok).rawAPIKey).toMatch(/^ptr_/);
    expect((body(ok).apiKey as Record<string, unknown>).prefix).toBe((body(ok).rawAPIKey as string).slice(0, 7));
    const unknownKey = await call(fake, "DELETE", "/api/users/1/tokens/99", { apiKey: fake.apiKey });
    expect([unknownKey.status, body(unknownKey).message]).toEqual([500, "API Key not found"]);
  });

  it("10.16 an API key in Authorization: Bearer is an invalid JWT; both headers together are a 403", async () => {
    fake = await bootstrappedFake();
    const bearerKey = await call(fake, "GET", "/api/users/me", { bearer: fake.apiKey });
    expect([bearerKey.status, bearerKey.body]).toEqual([
      401,
      { message: "Invalid JWT token", details: "Unauthorized" },
    ]);
    const both = await call(fake, "GET", "/api/system/status", { bearer: fake.jwt, apiKey: fake.apiKey });
    expect([both.status, both.body]).toEqual([
      403,
      {
        message: "api key and auth header are not allowed at the same time",
        details: "Api key and auth header are not allowed at the same time",
      },
    ]);
    const none = await call(fake, "GET", "/api/endpoints");
    expect([none.status, none.body]).toEqual([
      401,
      { message: "A valid authorization token is missing", details: "Unauthorized" },
    ]);
  });

  it("10.17 the login limiter bans an IP after a burst of 10, even for correct credentials", async () => {
    fake = await bootstrappedFake();
    // bootstrap already used 2 tokens (login and key creation).
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++)
      statuses.push(
        (await call(fake, "POST", "/api/auth", { json: { Username: "admin", Password: "wrong-password!" } })).status,
      );
    expect(statuses).toEqual([422, 422, 422, 422, 422, 422, 422, 422, 403]);
    const banned = await call(fake, "POST", "/api/auth", {
      json: { Username: ADMIN.username, Password: ADMIN.password },
    });
    expect([banned.status, banned.body]).toEqual([
      403,
      { message: "Access denied", details: "Access denied to resource" },
    ]);
  });

  it("10.18 a restart invalidates every JWT; API keys survive", async () => {
    fake = await bootstrappedFake();
    fake.restart();
    expect((await call(fake, "GET", "/api/users/me", { bearer: fake.jwt })).status).toBe(401);
    expect((await call(fake, "GET", "/api/users/me", { apiKey: fake.apiKey })).status).toBe(200);
  });

  it("10.19 login sets a cookie; a write that carries it without a CSRF token is a 403", async () => {
    fake = await bootstrappedFake();
    const login = await call(fake, "POST", "/api/auth", {
      json: { Username: ADMIN.username, Password: ADMIN.password },
    });
    const cookie = login.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^portainer_api_key=.+; Path=\/; HttpOnly; SameSite=Strict$/);
    const r = await call(fake, "POST", "/api/tags", {
      bearer: fake.jwt,
      json: { Name: "x" },
      headers: { Cookie: cookie.split(";")[0]! },
    });
    expect([r.status, r.text]).toEqual([403, "Forbidden - CSRF token not found in request\n"]);
  });

  it(
    "10.20 after the admin-init window every /api call but /api/status and " + "/api/settings/public is a 303",
    async () => {
      let t = 1_000_000;
      fake = Object.assign(await startFakePortainer({ adminInitTimeoutMs: 300_000, now: () => t }), {
        jwt: "",
        apiKey: "",
      });
      expect((await call(fake, "GET", "/api/users/admin/check")).status).toBe(404);
      t += 300_001;
      const check = await call(fake, "GET", "/api/users/admin/check");
      expect([check.status, check.headers.get("redirect-reason"), check.headers.get("location"), check.body]).toEqual([
        303,
        "AdminInitTimeout",
        null,
        { message: "Administrator initialization timeout", details: "Administrator initialization timeout" },
      ]);
      expect((await call(fake, "GET", "/api/system/status")).status).toBe(303);
      expect((await call(fake, "GET", "/api/status")).status).toBe(200);
      expect((await call(fake, "GET", "/api/status?x=1")).status).toBe(303);
      expect((await call(fake, "GET", "/api/settings/public")).status).toBe(200);
      fake.restart();
      expect((await call(fake, "GET", "/api/users/admin/check")).status).toBe(404);
    },
  );

  it("10.20 admin init is not idempotent: a second call is a 409; admin check answers 204", async () => {
    fake = await bootstrappedFake();
    const again = await call(fake, "POST", "/api/users/admin/init", {
      json: { Username: "admin", Password: ADMIN.password },
    });
    expect([again.status, again.body]).toEqual([
      409,
      { message: "Unable to create administrator user", details: "An administrator user already exists" },
    ]);
    expect((await call(fake, "GET", "/api/users/admin/check")).status).toBe(204);
  });

  it("10.20 from 2.43 admin init needs the X-Setup-Token", async () => {
    fake = Object.assign(await startFakePortainer({ version: "2.43.0" }), { jwt: "", apiKey: "" });
    const token = fake.setupToken!;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const without = await call(fake, "POST", "/api/users/admin/init", {
      json: { Username: "admin", Password: ADMIN.password },
    });
    expect([without.status, body(without).message]).toEqual([403, "Access denied - invalid or missing setup token"]);
    const ok = await call(fake, "POST", "/api/users/admin/init", {
      json: { Username: "admin", Password: ADMIN.password },
      headers: { "X-Setup-Token": token },
    });
    expect(ok.status).toBe(200);
    expect(fake.setupToken).toBeUndefined();
  });

  it("10.21 the admin password must have at least 12 characters; user names must not contain spaces", async () => {
    fake = Object.assign(await startFakePortainer(), { jwt: "", apiKey: "" });
    const short = await call(fake, "POST", "/api/users/admin/init", {
      json: { Username: "admin", Password: "elevenchars" },
    });
    expect([short.status, short.body]).toEqual([
      400,
      { message: "Password does not meet the requirements", details: "Password does not meet the requirements" },
    ]);
    const spaced = await call(fake, "POST", "/api/users/admin/init", {
      json: { Username: "the admin", Password: ADMIN.password },
    });
    expect(spaced.body).toEqual({
      message: "Invalid request payload",
      details: "Invalid username. Must not contain any whitespace",
    });
  });

  it("speaks 2.19: British 401 wording, lower-case details, no /users/me, no password on key creation", async () => {
    fake = await bootstrappedFake({ version: "2.19.4" });
    expect((await call(fake, "GET", "/api/endpoints")).body).toEqual({
      message: "A valid authorisation token is missing",
      details: "Unauthorized",
    });
    const me = await call(fake, "GET", "/api/users/me", { apiKey: fake.apiKey });
    expect([me.status, body(me).message]).toEqual([400, "Invalid user identifier route variable"]);
    const missing = await call(fake, "GET", "/api/stacks/9", { apiKey: fake.apiKey });
    expect(body(missing).details).toBe("object not found inside the database");
    const key = await call(fake, "POST", "/api/users/1/tokens", {
      bearer: fake.jwt,
      json: { description: "no password" },
    });
    expect([key.status, key.headers.get("content-type")]).toEqual([201, null]);
  });
});

describe("fake Portainer: the router, the Docker proxy, faults, recording and persistence", () => {
  it("10.26 answers unknown paths with 404 text and known paths with another method with an empty 405", async () => {
    fake = await bootstrappedFake();
    const unknown = await call(fake, "GET", "/api/registries", { apiKey: fake.apiKey });
    expect([unknown.status, unknown.headers.get("content-type"), unknown.text]).toEqual([
      404,
      "text/plain; charset=utf-8",
      "404 page not found\n",
    ]);
    const wrongMethod = await call(fake, "PATCH", "/api/stacks/1", { apiKey: fake.apiKey });
    expect([wrongMethod.status, wrongMethod.text]).toEqual([405, ""]);
  });

  it("10.24 Docker config create answers 200 with a resource control; configs are immutable objects", async () => {
    fake = await bootstrappedFake();
    const id = await addAgent(fake, "agent-1");
    fake.makeSwarm(id);
    const data = Buffer.from("key: value\n").toString("base64");
    const r = await call(fake, "POST", `/api/endpoints/${id}/docker/configs/create`, {
      apiKey: fake.apiKey,
      json: { Name: "app", Data: data, Labels: { by: "phoenix" } },
    });
    expect(r.status).toBe(200);
    expect(body(r)).toMatchObject({
      ID: expect.any(String),
      Portainer: { ResourceControl: { AdministratorsOnly: true } },
    });
    const dup = await call(fake, "POST", `/api/endpoints/${id}/docker/configs/create`, {
      apiKey: fake.apiKey,
      json: { Name: "app", Data: data },
    });
    expect([dup.status, dup.body]).toEqual([
      409,
      { message: "rpc error: code = AlreadyExists desc = config app already exists" },
    ]);
    const got = await call(fake, "GET", `/api/endpoints/${id}/docker/v1.41/configs/${body(r).ID}`, {
      apiKey: fake.apiKey,
    });
    expect(body(got).Spec).toEqual({ Name: "app", Labels: { by: "phoenix" }, Data: data });
    expect(
      (await call(fake, "DELETE", `/api/endpoints/${id}/docker/configs/${body(r).ID}`, { apiKey: fake.apiKey })).status,
    ).toBe(204);
    const gone = await call(fake, "GET", `/api/endpoints/${id}/docker/configs/${body(r).ID}`, { apiKey: fake.apiKey });
    expect([gone.status, gone.body]).toEqual([404, { message: `config ${body(r).ID} not found` }]);
  });

  it("injects 429/500/503 answers, delays and connection resets for the next matching requests", async () => {
    fake = await bootstrappedFake();
    fake.fault({ method: "GET", path: "/api/tags", status: 503, times: 2 });
    expect((await call(fake, "GET", "/api/tags", { apiKey: fake.apiKey })).status).toBe(503);
    expect((await call(fake, "GET", "/api/tags", { apiKey: fake.apiKey })).status).toBe(503);
    expect((await call(fake, "GET", "/api/tags", { apiKey: fake.apiKey })).status).toBe(200);
    fake.fault({ path: /^\/api\/tags$/, method: "POST", reset: "after" });
    await expect(call(fake, "POST", "/api/tags", { apiKey: fake.apiKey, json: { Name: "lost" } })).rejects.toThrow();
    expect(fake.state.tags.map((t) => t.Name)).toEqual(["lost"]);
    fake.fault({ path: "/api/tags", reset: "before" });
    await expect(call(fake, "POST", "/api/tags", { apiKey: fake.apiKey, json: { Name: "never" } })).rejects.toThrow();
    expect(fake.state.tags.map((t) => t.Name)).toEqual(["lost"]);
    fake.fault({ path: "/api/tags", delayMs: 50 });
    const t0 = Date.now();
    await call(fake, "GET", "/api/tags", { apiKey: fake.apiKey });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it("records every request with its method, path, query, headers and body", async () => {
    fake = await bootstrappedFake();
    await call(fake, "POST", "/api/endpoints?x=1", {
      apiKey: fake.apiKey,
      form: [
        ["Name", "d"],
        ["EndpointCreationType", "1"],
        ["TagIds", "[]"],
      ],
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: "POST",
      path: "/api/endpoints",
      query: { x: "1" },
      form: { Name: "d", EndpointCreationType: "1", TagIds: "[]" },
      status: 200,
    });
    expect(fake.requests[0]!.headers["x-api-key"]).toBe(fake.apiKey);
  });

  it("keeps its data in a state file across restarts of the process", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-fake-"));
    const stateFile = path.join(dir, "portainer.json");
    try {
      fake = await bootstrappedFake({ stateFile });
      await addAgent(fake, "agent-1");
      await fake.close();
      const second = await startFakePortainer({ stateFile });
      fake = Object.assign(second, { jwt: "", apiKey: fake.apiKey });
      expect((await call(fake, "GET", "/api/users/admin/check")).status).toBe(204);
      const envs = await call(fake, "GET", "/api/endpoints", { apiKey: fake.apiKey });
      expect((envs.body as { Name: string }[]).map((e) => e.Name)).toEqual(["agent-1"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("changes state out of band for drift tests", async () => {
    fake = await bootstrappedFake();
    const id = await addAgent(fake, "agent-1");
    const stack = await addStack(fake, id, "web", [{ name: "A", value: "1" }]);
    fake.editStack(stack, {
      fileContent: "services:\n  edited:\n    image: x\n",
      Env: [{ name: "A", value: "2" }],
      Status: 2,
    });
    fake.editEnvironment(id, { URL: "tcp://10.9.9.9:9001" });
    const s = body(await call(fake, "GET", `/api/stacks/${stack}`, { apiKey: fake.apiKey }));
    expect([s.Env, s.Status]).toEqual([[{ name: "A", value: "2" }], 2]);
    expect(body(await call(fake, "GET", `/api/stacks/${stack}/file`, { apiKey: fake.apiKey })).StackFileContent).toBe(
      "services:\n  edited:\n    image: x\n",
    );
    expect(body(await call(fake, "GET", `/api/endpoints/${id}`, { apiKey: fake.apiKey })).URL).toBe(
      "tcp://10.9.9.9:9001",
    );
    fake.removeStack(stack);
    expect((await call(fake, "GET", `/api/stacks/${stack}`, { apiKey: fake.apiKey })).status).toBe(404);
    fake.revokeApiKey(1);
    expect((await call(fake, "GET", "/api/tags", { apiKey: fake.apiKey })).status).toBe(401);
  });

  it("7 lists a stack's containers through the Docker proxy, named and labelled as compose does", async () => {
    fake = await bootstrappedFake();
    const id = await addAgent(fake, "agent-1");
    const compose =
      "services:\n  db:\n    image: x\n    healthcheck:\n      test: [CMD, 'true']\n  web:\n    image: y\n";
    const r = await call(fake, "POST", `/api/stacks/create/standalone/string?endpointId=${id}`, {
      apiKey: fake.apiKey,
      json: { Name: "shop", StackFileContent: compose },
    });
    const stack = (r.body as { Id: number }).Id;
    const list = async (query: string) =>
      (
        body(
          await call(fake, "GET", `/api/endpoints/${id}/docker/containers/json${query}`, { apiKey: fake.apiKey }),
        ) as unknown as { Names: string[]; State: string; Status: string; Labels: Record<string, string> }[]
      ).map((c) => [
        c.Names[0],
        c.State,
        c.Status,
        c.Labels["com.docker.compose.project"],
        c.Labels["com.docker.compose.service"],
      ]);
    const byProject = (p: string) =>
      `?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${p}`] }))}`;
    expect(await list(byProject("shop"))).toEqual([
      ["/shop-db-1", "running", "Up 5 minutes (healthy)", "shop", "db"],
      ["/shop-web-1", "running", "Up 5 minutes", "shop", "web"],
    ]);
    expect(await list(byProject("other"))).toEqual([]);
    fake.changeContainer(stack, "db", { health: "unhealthy" });
    fake.changeContainer(stack, "web", { state: "exited" });
    expect(await list(byProject("shop"))).toEqual([
      ["/shop-db-1", "running", "Up 5 minutes (unhealthy)", "shop", "db"],
      ["/shop-web-1", "exited", "Exited (0) 1 minute ago", "shop", "web"],
    ]);
    // Without all=1 Docker lists running containers only.
    expect((await list("")).map((c) => c[0])).toEqual(["/shop-db-1"]);
    // A redeploy recreates them.
    await call(fake, "PUT", `/api/stacks/${stack}?endpointId=${id}`, {
      apiKey: fake.apiKey,
      json: { StackFileContent: compose },
    });
    expect((await list(byProject("shop"))).map((c) => c[2])).toEqual(["Up 5 minutes (healthy)", "Up 5 minutes"]);
    expect(
      (await call(fake, "GET", `/api/endpoints/${id}/docker/containers/json?filters=nope`, { apiKey: fake.apiKey }))
        .body,
    ).toEqual({
      message: "invalid filter 'nope'",
    });
  });
});
