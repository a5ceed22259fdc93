// The fault matrix (issue 11), part 2: out-of-band drift in Portainer (stacks edited, stopped or deleted,
// the environment edited or deleted, the API key revoked or duplicated), servers that are not Portainer
// (plain HTTP, an untrusted certificate, a closed port, a Portainer that starts late) and bad input, each
// through the lab against a fake Portainer the row owns. Each drift row converges within its runs with
// exactly the desired site and no secret in any output; each failing row fails with its message, sends
// no credential, changes nothing, and the next good run converges. Figures are printed at the end.
// Does not prove: a real Portainer's or Proxmox's behaviour (the lab simulates Proxmox and Docker).
import * as fs from "node:fs";
import * as path from "node:path";
import { startFakePortainer, type FakePortainer } from "../fakes/portainer/server";
import { closedPort, startPlainServer, untrustedCertificate, type PlainServer } from "../helpers/servers";
import {
  converge,
  DRIFT_ROWS,
  expectDesiredSite,
  expectNoSecrets,
  newWorld,
  record,
  run,
  runRow,
  scratch,
  secretEnv,
  setUpMatrix,
  upClean,
  variant,
  type World,
} from "./faultMatrix";
import { joined } from "../helpers/regex";

jest.setTimeout(240_000);
setUpMatrix("fault matrix, part 2");

describe("the fault matrix: drift converges", () => {
  it.each(DRIFT_ROWS)("%s", runRow);
});

/** Rows that must fail: no credential sent, nothing changed, and the next good run converges. */
describe("the fault matrix: servers that are not Portainer", () => {
  const credentials = (s: PlainServer) =>
    s.requests
      .filter(
        (r) =>
          r.headers["authorization"] ||
          r.headers["x-api-key"] ||
          Object.values(secretEnv).some((v) => r.body.includes(v)),
      )
      .map((r) => r.path);

  it.each([
    [
      "a plain HTTP server",
      () => startPlainServer(),
      joined(
        /^.*Unable to verify Portainer server http:\/\/127\.0\.0\.1:\d+: /s,
        /it answered HTTP 404 \(text\/html\) "<html>", /,
        /not Portainer's status JSON with a Version \(GET \/api\/status\); no credential was sent/,
      ),
    ],
    [
      "a TLS server whose certificate nobody trusts",
      () =>
        startPlainServer(
          { status: 200, contentType: "application/json", body: '{"Version":"2.27.9"}' },
          untrustedCertificate(),
        ),
      joined(
        /Unable to verify Portainer server https:\/\/127\.0\.0\.1:\d+: TLS verification failed: [A-Z_]+ /,
        /\(GET \/api\/system\/status\); no credential was sent/,
      ),
    ],
  ])("%s: the run fails naming it, and receives no credential", async (name, start, error) => {
    const started = Date.now();
    const w = await newWorld(name);
    const server = await start();
    try {
      const first = await run(w, ["up"], { url: server.url });
      expect([first.code, first.report.error]).toEqual([1, expect.stringMatching(error)]);
      expect(credentials(server)).toEqual([]);
      expect(server.requests.every((r) => r.method === "GET" && /^\/api\/(system\/)?status$/.test(r.path))).toBe(true);
      // The simulated guests were made; Portainer resources were not. The right URL then converges.
      const runs = 1 + (await converge(w, await run(w, ["up"])));
      record(name, first, runs, started);
      expect(runs).toBeLessThanOrEqual(2);
      expectDesiredSite(w);
      expectNoSecrets(w);
    } finally {
      await server.close();
      await w.fake.close();
    }
  });

  it(
    "a closed port: refresh fails at once; with the admin to create and a " +
      "container started 10 minutes ago, within 30 s, saying what it waits for",
    async () => {
      const started = Date.now();
      // The same URL throughout (another URL would change the container's ports, and so restart it): the
      // fake keeps its data in a file, stops, and comes back on its port.
      const data = path.join(scratch(), "closed-port.portainer.json");
      const w: World = {
        fake: await startFakePortainer({ rateLimit: false, stateFile: data }),
        stateFile: path.join(scratch(), "closed-port.json"),
        output: [],
      };
      const url = w.fake.url;
      try {
        await upClean(w);
        await w.fake.close();
        const refreshed = await run(w, ["up", "--refresh"], { url });
        expect([refreshed.code, refreshed.report.error]).toEqual([
          1,
          expect.stringMatching(new RegExp(`Unable to verify Portainer server ${url}: ECONNREFUSED`)),
        ]);
        expect(refreshed.ms).toBeLessThan(30_000);
        // As after a first run whose admin step failed: the admin not in state, the container long started.
        const state = JSON.parse(fs.readFileSync(w.stateFile, "utf8")) as {
          resources: { type: string; outputs: Record<string, unknown> }[];
        };
        state.resources = state.resources.filter((r) => r.type !== "pulumi-nodejs:dynamic/portainer:Admin");
        const stamp = state.resources.find((r) => r.type === "time:index/static:Static")!;
        stamp.outputs["unix"] = Math.floor(Date.now() / 1000) - 600;
        fs.writeFileSync(w.stateFile, JSON.stringify(state, null, 2));
        // Without the refresh (which would fail at once reading the admin), so that the admin create waits.
        const first = await run(w, ["up", "--skip-refresh"], { url });
        expect([first.code, first.report.error]).toEqual([
          1,
          expect.stringMatching(
            new RegExp(
              `Portainer at ${url} did not answer within 2\\d s: ` +
                `Unable to verify Portainer server ${url}: ECONNREFUSED`,
            ),
          ),
        ]);
        expect(first.ms).toBeLessThan(30_000);
        expect(first.report.logs).toContainEqual(
          expect.stringMatching(
            new RegExp(`^info: Waiting for Portainer at ${url} to answer \\(ECONNREFUSED\\): 1\\d s of 20 s$`),
          ),
        );
        w.fake = await startFakePortainer({ rateLimit: false, stateFile: data, port: Number(new URL(url).port) });
        const runs = 1 + (await converge(w, await run(w, ["up"])));
        record("closed port (container not just started)", first, runs, started);
        expect(runs).toBeLessThanOrEqual(2);
        expectDesiredSite(w);
        expectNoSecrets(w);
      } finally {
        await w.fake.close();
      }
    },
  );

  it(
    "a Portainer that answers only 20 s after its container was created: the " +
      "run waits, saying so every 10 s, and succeeds",
    async () => {
      const started = Date.now();
      const port = await closedPort();
      const w: World = {
        fake: undefined as unknown as FakePortainer,
        stateFile: path.join(scratch(), "late-start.json"),
        output: [],
      };
      const late = new Promise<FakePortainer>((resolve) =>
        setTimeout(() => void startFakePortainer({ rateLimit: false, port }).then(resolve), 20_000),
      );
      try {
        const first = await run(w, ["up"], { url: `http://127.0.0.1:${port}` });
        w.fake = await late;
        expect([first.code, first.report.error]).toEqual([0, undefined]);
        expect(first.report.logs).toContainEqual(
          expect.stringMatching(
            new RegExp(
              `^info: Waiting for Portainer at http://127.0.0.1:${port} to answer ` +
                `\\(ECONNREFUSED\\): 1\\d s of (29\\d|300) s$`,
            ),
          ),
        );
        const runs = await converge(w, first);
        record("Portainer answers 20 s after its container started", first, runs, started);
        expect(runs).toBe(1);
        expectDesiredSite(w);
        expectNoSecrets(w);
      } finally {
        await (w.fake ?? (await late)).close();
      }
    },
  );
});

/** Bad input against a site that is up: a clear error naming the field, nothing sent, nothing lost. */
describe("the fault matrix: bad input", () => {
  it.each<[string, (y: string) => string, Record<string, string | undefined>, RegExp]>([
    [
      "cores: -2",
      (y) =>
        y.replace(
          "      cores: 2\n      memory_mb: 4096\n      disk_size_gb: 32\n      " +
            "start_at_boot: true\n      boot_order: 1",
          "      cores: -2\n      memory_mb: 4096\n      disk_size_gb: 32\n      " +
            "start_at_boot: true\n      boot_order: 1",
        ),
      {},
      /phoenix:vms\[0\]\.cores: Too small: expected number to be >=1/,
    ],
    [
      "a ctid that is the VM's vmid",
      (y) => y.replace("ctid: 2002", "ctid: 2001"),
      {},
      /phoenix:lxcs\[0\]\.ctid: 2001 is already used by phoenix:vms\[0\]/,
    ],
    [
      "an invalid IP",
      (y) => y.replace("ip: 10.0.0.202/24", "ip: 10.0.0.300/24"),
      {},
      /phoenix:lxcs\[0\]\.network_config\.ip/,
    ],
    [
      "an unknown config key",
      (y) => y.replace("  phoenix:environment: testing\n", "  phoenix:environment: testing\n  phoenix:vmz: []\n"),
      {},
      /phoenix:vmz: unknown config key/,
    ],
    [
      "an unknown stack",
      (y) => y.replace("{ name: thinkheads_ai_app }", "{ name: thinkheads_ai }"),
      {},
      /phoenix:lxcs\[0\]\.docker_stacks\[1\]\.name: unknown stack "thinkheads_ai"/,
    ],
    [
      "an admin password shorter than 12",
      (y) => y,
      { PHOENIX_SECRET_PORTAINER_ADMIN_PASSWORD: "short" },
      /phoenix:portainer\.admin_password/,
    ],
    [
      "a secret that is not given",
      (y) => y,
      { PHOENIX_SECRET_QDRANT_API_KEY: undefined },
      joined(
        /these secrets are encrypted in Pulumi\.dev\.yaml and not given: /,
        /set PULUMI_CONFIG_PASSPHRASE \(or PULUMI_CONFIG_PASSPHRASE_FILE\), or PHOENIX_SECRET_QDRANT_API_KEY/,
      ),
    ],
    [
      "a YAML syntax error",
      (y) => y.replace("  phoenix:environment: testing\n", "  phoenix:environment: [testing\n"),
      {},
      /Pulumi\.dev\.yaml/,
    ],
  ])("%s", async (name, edit, env, error) => {
    const started = Date.now();
    const w = await newWorld(`bad ${name}`);
    try {
      await upClean(w);
      const before = fs.readFileSync(w.stateFile, "utf8");
      w.fake.clearRequests();
      const first = await run(w, ["up", "--stack-file", variant(w, edit)], { env });
      expect([first.code, first.report.error]).toEqual([2, expect.stringMatching(error)]);
      expect(first.report.error).not.toMatch(/\n\s+at /);
      expect(w.fake.requests.filter((r) => r.method !== "GET")).toEqual([]);
      expect(fs.readFileSync(w.stateFile, "utf8")).toBe(before);
      const runs = 1 + (await converge(w, await run(w, ["up"])));
      record(`bad input: ${name}`, first, runs, started);
      expect(runs).toBeLessThanOrEqual(2);
      expectDesiredSite(w);
      expectNoSecrets(w);
    } finally {
      await w.fake.close();
    }
  });
});
