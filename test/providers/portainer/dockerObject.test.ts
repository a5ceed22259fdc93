// Proves: PortainerDockerConfig/Secret create through the Docker proxy, adopt an identical config, refuse
// a clashing one, read a config's content back for drift, replace on any change, and delete — against the fake.
import {
  dockerConfigProvider,
  dockerSecretProvider,
  type PortainerDockerObjectInputs,
  type PortainerDockerObjectOutputs,
} from "../../../providers/portainer/dockerObject";
import { addAgent, bootstrappedFake, call } from "../../helpers/portainer";
import type { FakePortainer } from "../../fakes/portainer/server";

let fake: FakePortainer & { jwt: string; apiKey: string };
let env: number;
beforeEach(async () => {
  fake = await bootstrappedFake();
  env = await addAgent(fake, "swarm-1");
  fake.makeSwarm(env);
});
afterEach(async () => fake.close());
const inputs = (extra: Partial<PortainerDockerObjectInputs> = {}): PortainerDockerObjectInputs => ({
  connection: { url: fake.url, apiKey: fake.apiKey },
  endpointId: env,
  name: "app-config-1a2b",
  data: "key: value\n",
  labels: { "phoenix.stack": "app" },
  adopt: true,
  ...extra,
});

describe("PortainerDockerConfig", () => {
  it("creates, adopts an identical config, and refuses one with other content", async () => {
    const r = await dockerConfigProvider.create(inputs());
    expect(r.outs).toMatchObject({ dockerId: r.id, name: "app-config-1a2b" });
    expect((await dockerConfigProvider.create(inputs())).id).toBe(r.id);
    await expect(dockerConfigProvider.create(inputs({ data: "other\n" }))).rejects.toThrow(
      `A Docker config named app-config-1a2b (id ${r.id}) already exists on ` +
        `environment ${env} and it holds other content, and configs cannot ` +
        `change; delete it or choose another name`,
    );
  });

  it("reads its content back and replaces on any change, deleting first when the name stays", async () => {
    const outs = (await dockerConfigProvider.create(inputs())).outs as PortainerDockerObjectOutputs;
    const r = await dockerConfigProvider.read!(outs.dockerId, outs);
    expect(r.inputs).toMatchObject({ data: "key: value\n", labels: { "phoenix.stack": "app" } });
    expect(await dockerConfigProvider.diff!(outs.dockerId, outs, inputs({ data: "new\n" }))).toEqual({
      changes: true,
      replaces: ["data"],
      deleteBeforeReplace: true,
    });
    expect(
      await dockerConfigProvider.diff!(outs.dockerId, outs, inputs({ name: "app-config-3c4d", data: "new\n" })),
    ).toEqual({ changes: true, replaces: ["name", "data"] });
  });

  it("deletes, reads deletion as gone, and deletes idempotently", async () => {
    const outs = (await dockerConfigProvider.create(inputs())).outs as PortainerDockerObjectOutputs;
    await dockerConfigProvider.delete!(outs.dockerId, outs);
    expect(await dockerConfigProvider.read!(outs.dockerId, outs)).toEqual({});
    await expect(dockerConfigProvider.delete!(outs.dockerId, outs)).resolves.toBeUndefined();
  });
});

describe("PortainerDockerSecret", () => {
  it("creates a secret and refuses to adopt one whose content cannot be read back", async () => {
    const r = await dockerSecretProvider.create(inputs({ name: "db-password", data: "s3cret" }));
    const got = await call(fake, "GET", `/api/endpoints/${env}/docker/secrets/${r.id}`, { apiKey: fake.apiKey });
    expect((got.body as { Spec: object }).Spec).toEqual({ Name: "db-password", Labels: { "phoenix.stack": "app" } });
    await expect(dockerSecretProvider.create(inputs({ name: "db-password", data: "s3cret" }))).rejects.toThrow(
      `A Docker secret named db-password (id ${r.id}) already exists on ` +
        `environment ${env} and Docker does not return a secret's content, so ` +
        `phoenix cannot tell whether it matches; delete it or choose another name`,
    );
    const read = await dockerSecretProvider.read!(r.id, r.outs);
    expect(read.inputs).toMatchObject({ data: "s3cret" });
  });
});
