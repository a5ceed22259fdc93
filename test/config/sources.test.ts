// Proves: stack files are read without decrypting secrets, and runtime config (as the Pulumi engine
// hands it over: JSON-encoded structured values, secret keys listed) becomes the same raw config.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  decryptStackFile,
  readRuntimeConfig,
  readStackFile,
  secretKeyTest,
  StackFileError,
  toRuntimeConfig,
} from "../../config/sources";
import { PROJECT_DIR } from "../helpers/site";

describe("readStackFile", () => {
  it("keeps encrypted values as {secure} and marks no key secret", () => {
    const raw = readStackFile(path.join(PROJECT_DIR, "Pulumi.prod.yaml"));
    expect(raw.secretKeys.size).toBe(0);
    expect((raw.values["phoenix:proxmox"] as Record<string, unknown>)["api_token"]).toEqual({
      secure: expect.stringMatching(/^v1:/),
    });
    expect(raw.values["phoenix:environment"]).toBe("production");
  });

  it.each([
    ["missing file", null, "does not exist"],
    ["not YAML", "config: [\n", "is not valid YAML: "],
    ["a list", "- a\n", "must be a YAML map with a config key"],
    ["config not a map", "config: 3\n", "config must be a map of keys to values"],
  ])("rejects %s", (_name, content, message) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-stackfile-"));
    const file = path.join(dir, "Pulumi.x.yaml");
    if (content !== null) fs.writeFileSync(file, content);
    try {
      expect(() => readStackFile(file)).toThrow(StackFileError);
      expect(() => readStackFile(file)).toThrow(message);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("readRuntimeConfig", () => {
  afterEach(() => pulumi.runtime.setAllConfig({}, []));

  it("parses structured values and lists secret keys, ignoring other projects", () => {
    pulumi.runtime.setAllConfig(
      {
        "phoenix:proxmox": JSON.stringify({ endpoint: "https://pve:8006", api_token: "tok" }),
        "phoenix:environment": "testing",
        "phoenix:qdrant_api_key": "k",
        "other:thing": "x",
      },
      ["phoenix:proxmox", "phoenix:qdrant_api_key"],
    );
    const raw = readRuntimeConfig("phoenix");
    expect(raw.values).toEqual({
      "phoenix:proxmox": { endpoint: "https://pve:8006", api_token: "tok" },
      "phoenix:environment": "testing",
      "phoenix:qdrant_api_key": "k",
    });
    expect([...raw.secretKeys].sort()).toEqual(["phoenix:proxmox", "phoenix:qdrant_api_key"]);
  });
});

describe("readRuntimeConfig: only phoenix's structured keys are JSON", () => {
  afterEach(() => pulumi.runtime.setAllConfig({}, []));

  it("keeps a secret that looks like JSON a string", () => {
    pulumi.runtime.setAllConfig(
      {
        "phoenix:qdrant_api_key": '{"not":"an object"}',
        "phoenix:thinkheads_session_secret": "[abc",
        "phoenix:vms": "[]",
        "phoenix:environment": "[x]",
      },
      ["phoenix:qdrant_api_key", "phoenix:thinkheads_session_secret"],
    );
    expect(readRuntimeConfig("phoenix").values).toEqual({
      "phoenix:qdrant_api_key": '{"not":"an object"}',
      "phoenix:thinkheads_session_secret": "[abc",
      "phoenix:vms": [],
      "phoenix:environment": "[x]",
    });
  });
});

describe("secretKeyTest", () => {
  it("uses the SDK's isConfigSecret when it exists", () => {
    const test = secretKeyTest((k) => k === "phoenix:a", { PULUMI_CONFIG_SECRET_KEYS: '["phoenix:b"]' });
    expect([test("phoenix:a"), test("phoenix:b")]).toEqual([true, false]);
  });

  it.each([
    ['["phoenix:b","phoenix:c"]', [false, true, true]],
    [undefined, [false, false, false]],
    ["not json", [false, false, false]],
    ['{"phoenix:b":true}', [false, false, false]],
  ])("falls back to PULUMI_CONFIG_SECRET_KEYS=%s without it", (value, expected) => {
    const test = secretKeyTest(undefined, value === undefined ? {} : { PULUMI_CONFIG_SECRET_KEYS: value });
    expect(["phoenix:a", "phoenix:b", "phoenix:c"].map(test)).toEqual(expected);
  });

  it("is what the SDK in this project does (the internal helper exists here)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(typeof (require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: unknown }).isConfigSecret).toBe(
      "function",
    );
  });
});

describe("decryptStackFile", () => {
  it("decrypts every secure value with the passphrase and marks those keys secret", () => {
    const raw = decryptStackFile(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "phoenix-example");
    expect([...raw.secretKeys].sort()).toEqual([
      "phoenix:guest_ssh",
      "phoenix:portainer",
      "phoenix:proxmox",
      "phoenix:qdrant_api_key",
    ]);
    expect((raw.values["phoenix:proxmox"] as Record<string, unknown>)["api_token"]).toBe(
      "root@pam!phoenix=11111111-2222-3333-4444-555555555555",
    );
    expect(raw.values["phoenix:qdrant_api_key"]).toBe("example-prod-qdrant-key");
    const runtime = toRuntimeConfig(raw);
    expect(runtime.config["phoenix:environment"]).toBe("production");
    expect(JSON.parse(runtime.config["phoenix:vms"]!)[0].vmid).toBe(1001);
  });

  it("refuses a wrong passphrase", () => {
    expect(() => decryptStackFile(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "not-the-passphrase")).toThrow(
      "incorrect passphrase",
    );
  });
});
