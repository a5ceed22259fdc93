/**
 * The Portainer CE API client: one object with a typed method per route phoenix uses. It combines the
 * transport (`transport.ts`: HTTP, auth, retries, TLS, errors) with the per-domain APIs in `api/`.
 *
 * Dynamic providers use the transport and their own domain API directly, so the closure Pulumi
 * serializes for them holds only what they call; tools and tests use this facade.
 */
import { dockerApi } from "./api/docker";
import { environmentsApi } from "./api/environments";
import { groupsApi } from "./api/groups";
import { stacksApi } from "./api/stacks";
import { tagsApi } from "./api/tags";
import { usersApi } from "./api/users";
import { createTransport, type PortainerClientOptions } from "./transport";

export { MIN_SUPPORTED_VERSION, compareVersions, createTransport, forgetVerifiedServers } from "./transport";
export type { PortainerAuth, PortainerClientOptions, Transport } from "./transport";
export { normalizeStackName } from "./api/stacks";
export type { StackContent, StackFilters } from "./api/stacks";
export type { EnvironmentCreate, EnvironmentUpdate } from "./api/environments";
export type { DockerObjectKind } from "./api/docker";

/** Creates a client. It holds one connection pool; call `close()` when done. */
export function createPortainerClient(options: PortainerClientOptions) {
  const t = createTransport(options);
  const docker = dockerApi(t);
  return {
    baseUrl: t.baseUrl,
    /** How many times this client logged in (`POST /api/auth`). Portainer bans an IP after a burst (C1.6). */
    get logins(): number {
      return t.logins();
    },
    close: t.close,
    status: t.status,
    version: t.version,
    login: t.login,
    ...usersApi(t),
    ...groupsApi(t),
    ...tagsApi(t),
    ...environmentsApi(t),
    ...stacksApi(t),
    createDockerConfig: (endpointId: number, name: string, data: string, labels?: Readonly<Record<string, string>>) =>
      docker.create("configs", endpointId, name, data, labels),
    listDockerConfigs: (endpointId: number) => docker.list("configs", endpointId),
    getDockerConfig: (endpointId: number, id: string) => docker.get("configs", endpointId, id),
    deleteDockerConfig: (endpointId: number, id: string) => docker.remove("configs", endpointId, id),
    createDockerSecret: (endpointId: number, name: string, data: string, labels?: Readonly<Record<string, string>>) =>
      docker.create("secrets", endpointId, name, data, labels),
    listDockerSecrets: (endpointId: number) => docker.list("secrets", endpointId),
    getDockerSecret: (endpointId: number, id: string) => docker.get("secrets", endpointId, id),
    deleteDockerSecret: (endpointId: number, id: string) => docker.remove("secrets", endpointId, id),
    listProjectContainers: (endpointId: number, project: string) => docker.containers(endpointId, project),
  };
}

export type PortainerClient = ReturnType<typeof createPortainerClient>;
