// Proves: DockerStack creates Docker configs first on a swarm environment and references them as
// external, sends a standalone stack's files inline, and turns an invalid compose file into a
// ResourceError that names the stack and the problem before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { DockerStack } from "../../../components/portainer/dockerStack";
import { isSecret } from "../../harness/engine";
import { recordResources } from "../../helpers/program";

const FILES = [{ source: "config/app.toml", destination: "/etc/app.toml", service: "web", content: "a = 1\n" }];
const args = (extra: object = {}) => ({
  connection: { url: "https://portainer:9443", apiKey: pulumi.secret("ptr_key") },
  endpointId: 4,
  stack: "app",
  where: "app on swarm-1 (phoenix:vms[0].docker_stacks[0])",
  compose: "services:\n  web:\n    image: nginx:1.27\n",
  variables: [
    { name: "PLAIN", value: "1" },
    { name: "TOKEN", value: pulumi.secret("t0ken") },
  ],
  files: FILES,
  ...extra,
});

describe("DockerStack", () => {
  it("creates the files as Docker configs on a swarm environment, before the stack", async () => {
    const rs = await recordResources((opts) => void new DockerStack("app", args({ mode: "swarm" }), opts));
    expect(rs.map((r) => [r.type, r.name, r.parent ?? null, r.dependsOn])).toEqual([
      ["phoenix:portainer:DockerStack", "app", null, []],
      ["pulumi-nodejs:dynamic/portainer:DockerConfig", "app-config-0", "app", []],
      ["pulumi-nodejs:dynamic/portainer:Stack", "app", "app", ["DockerConfig:app-config-0"]],
    ]);
    const config = rs[1]!.inputs;
    expect(config).toMatchObject({
      endpointId: 4,
      data: "a = 1\n",
      labels: { "phoenix.stack": "app", "phoenix.source": "config/app.toml" },
    });
    expect(config["name"]).toMatch(/^app-app\.toml-[0-9a-f]{10}$/);
    const stack = rs[2]!.inputs;
    expect(stack["type"]).toBe("swarm");
    expect((parse(stack["composeContent"] as string) as { configs: object }).configs).toEqual({
      phoenix_0_app_toml: { external: true, name: config["name"] },
    });
    expect(isSecret(stack["env"])).toBe(true);
  });

  it("sends a standalone stack's files inline, with no Docker config", async () => {
    const rs = await recordResources((opts) => void new DockerStack("app", args(), opts));
    expect(rs.map((r) => r.type)).toEqual(["phoenix:portainer:DockerStack", "pulumi-nodejs:dynamic/portainer:Stack"]);
    expect((parse(rs[1]!.inputs["composeContent"] as string) as { configs: object }).configs).toEqual({
      phoenix_0_app_toml: { content: "a = 1\n" },
    });
  });

  it("rejects an invalid compose file with a ResourceError naming the stack and the problem", async () => {
    let error: unknown;
    const rs = await recordResources((opts) => {
      try {
        new DockerStack(
          "app",
          args({ compose: "services:\n  web:\n    image: nginx\n    restart: sometimes-maybe\n    ports: 80\n" }),
          opts,
        );
      } catch (e) {
        error = e;
      }
    });
    expect(pulumi.ResourceError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      "Stack app on swarm-1 (phoenix:vms[0].docker_stacks[0]): the rendered " +
        "compose file is invalid: services.web.ports: must be array",
    );
    expect(rs.filter((r) => r.type.startsWith("pulumi-nodejs"))).toEqual([]);
  });
});
