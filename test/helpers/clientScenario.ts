/**
 * Drives every method of the Portainer client once against a fake, in a realistic order, so tests can
 * assert the exact requests it sent (client.test.ts) and check them against Portainer's spec
 * (contract.test.ts).
 */
import { createPortainerClient, type PortainerClient } from "../../providers/portainer/client";
import type { FakePortainer } from "../fakes/portainer/server";
import { ADMIN } from "./portainer";

export const noSleep = async (): Promise<void> => undefined;

/** Bootstraps through the client (admin, login, API key), then uses an API-key client for everything else. */
export async function exerciseEveryRoute(
  fake: FakePortainer,
): Promise<{ bootstrap: PortainerClient; client: PortainerClient }> {
  const bootstrap = createPortainerClient({
    url: fake.url,
    auth: { username: ADMIN.username, password: ADMIN.password },
    sleep: noSleep,
  });
  await bootstrap.status();
  if (await bootstrap.adminExists()) throw new Error("expected a fresh fake");
  await bootstrap.initAdmin(ADMIN.username, ADMIN.password);
  const me = await bootstrap.me();
  const created = await bootstrap.createApiKey(me.Id, "phoenix", ADMIN.password);
  const client = createPortainerClient({ url: fake.url, auth: { apiKey: created.rawAPIKey }, sleep: noSleep });
  await client.listApiKeys(me.Id);

  const tag = await client.createTag("prod");
  await client.listTags();
  const group = await client.createGroup("lab", "the lab", [tag.ID]);
  await client.listGroups();
  await client.getGroup(group.Id);
  await client.updateGroup(group.Id, { description: "the whole lab", tagIds: [] });

  const env = await client.createEnvironment({
    name: "Dr-Phoenix",
    creationType: 2,
    url: "tcp://10.0.0.102:9001",
    groupId: group.Id,
    tagIds: [tag.ID],
    tls: true,
    tlsSkipVerify: true,
    tlsSkipClientVerify: true,
  });
  await client.findEnvironment("Dr-Phoenix");
  await client.getEnvironment(env.Id);
  await client.updateEnvironment(env.Id, { publicUrl: "10.0.0.102", tagIds: [] });

  const stack = await client.createStandaloneStack(env.Id, "qdrant_service", {
    stackFileContent: "services:\n  qdrant:\n    image: qdrant/qdrant:v1.12.4\n",
    env: [{ name: "A", value: "1" }],
  });
  await client.findStack("qdrant_service", { endpointId: env.Id });
  await client.getStack(stack.Id);
  await client.getStackFile(stack.Id);
  await client.updateStack(stack.Id, env.Id, {
    stackFileContent: "services:\n  qdrant:\n    image: qdrant/qdrant:v1.13.0\n",
    env: [],
    pullImage: true,
  });
  await client.stopStack(stack.Id, env.Id);
  await client.startStack(stack.Id, env.Id);

  fake.makeSwarm(env.Id, "swarm-1");
  const swarmId = await client.swarmId(env.Id);
  const configId = await client.createDockerConfig(env.Id, "app-config", "key: value\n", { "phoenix.stack": "app" });
  await client.listDockerConfigs(env.Id);
  await client.listProjectContainers(env.Id, "app");
  await client.getDockerConfig(env.Id, configId);
  const secretId = await client.createDockerSecret(env.Id, "app-secret", "s3cret");
  await client.listDockerSecrets(env.Id);
  await client.getDockerSecret(env.Id, secretId);
  const swarmStack = await client.createSwarmStack(env.Id, swarmId, "app", {
    stackFileContent: "services:\n  a:\n    image: x\n",
    env: [],
  });
  await client.deleteStack(swarmStack.Id, env.Id);
  await client.deleteDockerConfig(env.Id, configId);
  await client.deleteDockerSecret(env.Id, secretId);

  await client.deleteStack(stack.Id, env.Id);
  await client.deleteEnvironment(env.Id);
  await client.deleteGroup(group.Id);
  await client.deleteTag(tag.ID);
  await client.deleteApiKey(me.Id, created.apiKey.id);

  // A server before 2.17 has no /api/system/status: the client falls back to /api/status.
  fake.fault({ method: "GET", path: "/api/system/status", status: 404, body: "404 page not found\n" });
  await createPortainerClient({ url: fake.url }).status();
  return { bootstrap, client };
}
