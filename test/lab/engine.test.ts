// Proves: `preview` runs the real program through Pulumi's host and plans every resource without
// changing anything: no request reaches Portainer, no state is written. (One program run per file: the
// program registers its resources when imported.)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { toRuntimeConfig } from "../../config/sources";
import { resolveConfig } from "../../lab/cli";
import { runProgram, type Step } from "../../lab/engine";
import { DynamicProviderHost } from "../../lab/host";
import { emptyState } from "../../lab/state";
import { startFakePortainer, type FakePortainer } from "../fakes/portainer/server";
import { PROJECT_DIR } from "../helpers/site";

let fake: FakePortainer;
let host: DynamicProviderHost;
let dir: string;
beforeAll(async () => {
  fake = await startFakePortainer();
  host = await DynamicProviderHost.start(PROJECT_DIR);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-preview-"));
});
afterAll(async () => {
  await host.close();
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("lab preview", () => {
  it("plans every resource as a create and changes nothing", async () => {
    // Secrets generated as the lab does for its built-in fake (no passphrase, no PBKDF2).
    const { raw, missing } = resolveConfig(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), {}, emptyState("prod"), true);
    expect(missing).toEqual([]);
    (raw.values["phoenix:portainer"] as Record<string, unknown>)["url"] = fake.url;
    delete (raw.values["phoenix:portainer"] as Record<string, unknown>)["tls"];
    const config = toRuntimeConfig(raw);
    await host.configure(config.config);
    const stateFile = path.join(dir, "prod.json");
    const steps: Step[] = [];
    await runProgram({
      mode: "preview",
      stack: "prod",
      state: emptyState("prod"),
      stateFile,
      host,
      config,
      onStep: (s) => steps.push(s),
      loadProgram: async () => void (await import("../../index")),
    });
    expect(
      steps
        .filter((s) => s.type.startsWith("pulumi-nodejs:"))
        .map((s) => `${s.action} ${s.type.split(":").pop()} ${s.name}`),
    ).toEqual([
      "create Snapshot phoenix-vm-1001-snapshot",
      "create Snapshot phoenix-vm-1002-snapshot",
      "create Snapshot phoenix-vm-1003-snapshot",
      "create Snapshot phoenix-lxc-101-snapshot",
      "create Admin phoenix-portainer-admin",
      "create ApiKey phoenix-portainer-api-key",
      "create Environment phoenix-agent-vm-1002-environment",
      "create Stack phoenix-stack-qdrant_service-vm-1002",
    ]);
    expect(steps.every((s) => s.action === "create")).toBe(true);
    // 23 for the guests, Portainer and the stack; 35 for the gateways, certificates and firewall; 12 for the node
    // (2 datasets, the exports, a storage, 2 firewalls, the template and its image) and the 4 snapshots.
    expect(steps).toHaveLength(70);
    expect(fake.requests).toEqual([]);
    expect(fs.existsSync(stateFile)).toBe(false);
  });
});
