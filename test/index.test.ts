// Proves: the program (index.ts) loads the stack's config through the Pulumi runtime as `pulumi up` hands
// it over, builds the site and exports guest IPs, the Portainer URL, environment and stack ids, and the API
// key as a secret; invalid config fails with a RunError listing every problem (no resource is created).
import { tlsMockOutputs } from "./helpers/tlsMocks";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS, validValues } from "./helpers/site";

function setConfig(values: Record<string, unknown>, secretKeys: string[] = SECRET_KEYS) {
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    secretKeys,
  );
}

const created: string[] = [];
describe("index.ts", () => {
  beforeAll(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          created.push(a.type);
          const extra = a.type.endsWith("portainer:Environment")
            ? { environmentId: 7 }
            : a.type.endsWith("portainer:Stack")
              ? { stackId: 3 }
              : a.type.endsWith("portainer:ApiKey")
                ? { apiKey: "ptr_x" }
                : {};
          return { id: `${a.name}-id`, state: { ...a.inputs, ...extra, ...tlsMockOutputs(a.type, a.name) } };
        },
        call: (a) => a.inputs,
      },
      "phoenix",
      "prod",
      false,
    );
  });
  afterEach(() => {
    jest.resetModules();
    pulumi.runtime.setAllConfig({}, []);
  });

  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

  it("exports guest IPs, the Portainer URL, environment and stack ids, the API key (secret) and the CA", async () => {
    setConfig(validValues());
    const program = await import("../index");
    expect(program.guestIps).toEqual({ Portainer: "10.0.0.101", "Dr-Phoenix": "10.0.0.102", "dev-apps": "10.0.0.202" });
    expect(program.portainerUrl).toBe("https://10.0.0.101:9443");
    expect(Object.keys(program.environmentIds)).toEqual(["Dr-Phoenix", "dev-apps"]);
    expect(await value(program.environmentIds["Dr-Phoenix"]!)).toBe(7);
    expect(Object.keys(program.stackIds)).toEqual(["qdrant_service@Dr-Phoenix", "thinkheads_ai_app@dev-apps"]);
    expect(await value(program.stackIds["qdrant_service@Dr-Phoenix"]!)).toBe(3);
    expect(await pulumi.isSecret(program.portainerApiKey!)).toBe(true);
    // phoenix's CA, public, for clients to trust.
    expect(await value(program.caCertificate!)).toBe(
      "-----BEGIN CERTIFICATE-----\nmock-phoenix-certificates-ca\n-----END CERTIFICATE-----\n",
    );
    expect(await pulumi.isSecret(program.caCertificate!)).toBe(false);
  });

  it("fails with a RunError that lists every problem, before creating anything", async () => {
    created.splice(0);
    const v = validValues();
    delete v["phoenix:qdrant_api_key"];
    (v["phoenix:portainer"] as Record<string, unknown>)["agent_port"] = 0;
    setConfig(v);
    const err = await import("../index").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toBe(
      [
        "Invalid configuration for stack prod (2 problems):",
        "  phoenix:portainer.agent_port: Too small: expected number to be >=1",
        "  stacks/qdrant_service/phoenix.json: " +
          "environments.production.variables[1].secret: config key " +
          "phoenix:qdrant_api_key is not set (needed by " +
          "phoenix:vms[1].docker_stacks[0]); set it with pulumi config set --secret " +
          "qdrant_api_key <value>",
      ].join("\n"),
    );
    expect(created).toEqual([]);
  });
});
