// Proves: the lab's pure parts — argument parsing, secret variable names, step formatting, delete
// ordering, change detection, deterministic simulated outputs — and that its state file encrypts every
// secret value and reads it back.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatStep, parseArgs, resolveConfig, secretEnvVar } from "../../lab/cli";
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN, changedKeys, mapLimit, markSecret, simulatedOutputs, withUnknowns } from "../../lab/engine";
import { isSecret, secret } from "../../lab/host";
import { dependantsFirst, emptyState, loadState, saveState, type LabResource } from "../../lab/state";

describe("lab arguments", () => {
  it.each([
    [
      ["up", "--stack", "dev"],
      {
        command: "up",
        stack: "dev",
        guests: "simulated",
        json: false,
        refresh: true,
        expectNoChanges: false,
        reset: false,
      },
    ],
    [
      ["refresh", "--stack", "prod", "--json", "--portainer-url", "https://p:9443", "--state", "s.json"],
      {
        command: "refresh",
        stack: "prod",
        guests: "simulated",
        json: true,
        refresh: false,
        expectNoChanges: false,
        reset: false,
        portainerUrl: "https://p:9443",
        stateFile: "s.json",
      },
    ],
    [
      ["up", "--stack", "dev", "--guests", "real", "--proxmox-host", "h.json"],
      {
        command: "up",
        stack: "dev",
        guests: "real",
        proxmoxHost: "h.json",
        json: false,
        refresh: true,
        expectNoChanges: false,
        reset: false,
      },
    ],
    [
      ["up", "--stack", "dev", "--guests", "docker"],
      { error: expect.stringMatching(/^--guests must be simulated or real\n/) },
    ],
    [
      ["deploy", "--stack", "dev"],
      { error: expect.stringMatching(/^the first argument must be up, preview, refresh or destroy\n/) },
    ],
    [["up"], { error: expect.stringMatching(/^--stack <name> is required\n/) }],
    [
      ["up", "--stack", "dev", "--portainer-url", "portainer:9443"],
      { error: expect.stringMatching(/^--portainer-url must be an http or https URL\n/) },
    ],
    [
      ["up", "--stack", "dev", "--skip-refresh"],
      {
        command: "up",
        stack: "dev",
        guests: "simulated",
        json: false,
        refresh: false,
        expectNoChanges: false,
        reset: false,
      },
    ],
    [
      ["preview", "--stack", "dev", "--expect-no-changes"],
      {
        command: "preview",
        stack: "dev",
        guests: "simulated",
        json: false,
        refresh: true,
        expectNoChanges: true,
        reset: false,
      },
    ],
    [
      ["up", "--stack", "dev", "--expect-no-changes"],
      { error: expect.stringMatching(/^unknown argument --expect-no-changes\n/) },
    ],
    [["refresh", "--stack", "dev", "--refresh"], { error: expect.stringMatching(/^unknown argument --refresh\n/) }],
  ])("parses %j", (argv, expected) => expect(parseArgs(argv)).toEqual(expected));

  it.each([
    ["phoenix:proxmox", ["api_token"], "PHOENIX_SECRET_PROXMOX_API_TOKEN"],
    ["phoenix:guest_ssh", ["private_key"], "PHOENIX_SECRET_GUEST_SSH_PRIVATE_KEY"],
    ["phoenix:qdrant_api_key", [], "PHOENIX_SECRET_QDRANT_API_KEY"],
  ])("names the variable of %s %j", (key, at, name) => expect(secretEnvVar(key, at)).toBe(name));

  it("formats a step for people", () => {
    expect(
      formatStep({
        urn: "u",
        type: "pulumi-nodejs:dynamic/portainer:Stack",
        name: "s",
        action: "update",
        changes: ["env", "running"],
        durationMs: 12,
      }),
    ).toBe("~  update  Stack s [env, running] (12 ms)");
    expect(
      formatStep({
        urn: "u",
        type: "proxmoxve:index/vmLegacy:VmLegacy",
        name: "v",
        action: "update",
        changes: ["cpu"],
        notes: ["reboots the guest: cpu"],
        durationMs: 1,
      }),
    ).toBe("~  update  VmLegacy v [cpu] (1 ms) — reboots the guest: cpu");
  });
});

describe("lab engine helpers", () => {
  it("maps with bounded concurrency, keeping the order", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([30, 5, 20, 1, 10], 2, async (ms) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return ms * 2;
    });
    expect([out, peak]).toEqual([[60, 10, 40, 2, 20], 2]);
  });

  it("orders deletes dependants first", () => {
    const r = (urn: string, deps: string[]): LabResource => ({
      urn,
      type: "t",
      name: urn,
      dynamic: true,
      id: urn,
      inputs: {},
      outputs: {},
      dependencies: deps,
    });
    expect(
      dependantsFirst([r("env", ["key"]), r("key", ["admin"]), r("admin", []), r("stack", ["env"])]).map((x) => x.urn),
    ).toEqual(["stack", "env", "key", "admin"]);
  });

  it("finds changed input keys, ignoring __provider and secret wrapping", () => {
    expect(changedKeys({ a: 1, b: secret("x"), __provider: "p1" }, { a: 2, b: "x", __provider: "p2" })).toEqual(["a"]);
  });

  it("turns the SDK's unknown marker into the engine's sentinel, nested too", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const unknown = (require("@pulumi/pulumi/output") as { unknown: unknown }).unknown;
    expect(pulumi.isUnknown(unknown)).toBe(true);
    expect(withUnknowns({ a: unknown, b: [1, { c: unknown }], d: "x" })).toEqual({
      a: UNKNOWN,
      b: [1, { c: UNKNOWN }],
      d: "x",
    });
  });

  it("marks additionalSecretOutputs secret", () => {
    const out = markSecret({ apiKey: "ptr_x", prefix: "ptr_x" }, ["apiKey"]);
    expect([isSecret(out["apiKey"]), out["prefix"]]).toEqual([true, "ptr_x"]);
  });

  it("simulates outputs deterministically per stack and resource", () => {
    const a = simulatedOutputs("random:index/randomPassword:RandomPassword", "s", { length: 40 }, "dev");
    expect(a).toEqual(simulatedOutputs("random:index/randomPassword:RandomPassword", "s", { length: 40 }, "dev"));
    expect(a).not.toEqual(simulatedOutputs("random:index/randomPassword:RandomPassword", "s", { length: 40 }, "prod"));
    expect(isSecret(a["result"]) && (a["result"] as { value: string }).value).toHaveLength(40);
  });
});

describe("lab state", () => {
  it("stores secrets encrypted with a 0600 key file and reads them back", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-state-"));
    try {
      const file = path.join(dir, "dev.json");
      const state = emptyState("dev");
      state.resources.push({
        urn: "u",
        type: "t",
        name: "n",
        dynamic: true,
        id: "1",
        inputs: { password: secret("hunter2-hunter2") },
        outputs: { nested: { token: secret(["a", "b"]) } },
        dependencies: [],
      });
      saveState(file, state);
      const text = fs.readFileSync(file, "utf8");
      expect(text).not.toContain("hunter2");
      expect(text).toMatch(/"password": \{\s+"secure": "v1:/);
      expect(fs.statSync(`${file}.key`).mode & 0o777).toBe(0o600);
      expect(loadState(file, "dev").resources[0]).toEqual(state.resources[0]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the lab's passphrase, as the CLI reads it", () => {
  const stackFile = path.join(__dirname, "..", "..", "Pulumi.dev.yaml");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-lab-pass-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("decrypts with PULUMI_CONFIG_PASSPHRASE_FILE", () => {
    fs.writeFileSync(path.join(dir, "pass"), "phoenix-example\n");
    const r = resolveConfig(stackFile, { PULUMI_CONFIG_PASSPHRASE_FILE: "pass" }, emptyState("dev"), true, dir);
    expect([r.missing, r.raw.values["phoenix:qdrant_api_key"]]).toEqual([[], "example-dev-qdrant-key"]);
  });

  it("uses an empty PULUMI_CONFIG_PASSPHRASE (here the wrong one) instead of treating it as unset", () => {
    expect(() => resolveConfig(stackFile, { PULUMI_CONFIG_PASSPHRASE: "" }, emptyState("dev"), true, dir)).toThrow(
      "incorrect passphrase",
    );
  });
});
