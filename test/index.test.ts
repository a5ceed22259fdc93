// Proves: the program loads the stack's config through the Pulumi runtime (as `pulumi up` hands it
// over) and exports guest IPs and the Portainer URL; invalid config fails with a RunError listing
// every problem. Does not prove: resources (none are registered by the program yet).
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS, validValues } from "./helpers/site";

function setConfig(values: Record<string, unknown>, secretKeys: string[] = SECRET_KEYS) {
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    secretKeys,
  );
}

describe("index.ts", () => {
  beforeAll(() => {
    pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
      "phoenix",
      "prod",
      false,
    );
  });
  afterEach(() => {
    jest.resetModules();
    pulumi.runtime.setAllConfig({}, []);
  });

  it("exports guest IPs, the Portainer URL and the environments", async () => {
    setConfig(validValues());
    const program = await import("../index");
    expect(program.guestIps).toEqual({ Portainer: "10.0.0.101", "Dr-Phoenix": "10.0.0.102", "dev-apps": "10.0.0.202" });
    expect(program.portainerUrl).toBe("https://10.0.0.101:9443");
    expect(program.environments).toEqual([
      { name: "Dr-Phoenix", guest: "Dr-Phoenix", type: "agent", url: "tcp://10.0.0.102:9001" },
      { name: "dev-apps", guest: "dev-apps", type: "agent", url: "tcp://10.0.0.202:9001" },
    ]);
  });

  it("fails with a RunError that lists every problem", async () => {
    const v = validValues();
    delete v["phoenix:qdrant_api_key"];
    (v["phoenix:portainer"] as Record<string, unknown>)["agent_port"] = 0;
    setConfig(v);
    const err = await import("../index").then(() => undefined, (e: unknown) => e);
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toBe([
      "Invalid configuration for stack prod (2 problems):",
      "  phoenix:portainer.agent_port: Too small: expected number to be >=1",
      "  stacks/qdrant_service/phoenix.json: environments.production.variables[1].secret: config key phoenix:qdrant_api_key is not set (needed by phoenix:vms[1].docker_stacks[0]); set it with pulumi config set --secret qdrant_api_key <value>",
    ].join("\n"));
  });
});
