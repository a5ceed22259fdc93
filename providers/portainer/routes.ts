/**
 * Every Portainer route the client can send: method and path template (under `/api`), the documented
 * list of what `api/*.ts` sends. The contract test checks that every request the client made matches an
 * entry here, that every entry was exercised, and each entry against Portainer's published spec
 * (../shared/portainer/swagger-ee-2.27.0.yaml); the `/endpoints/{id}/docker/...` entries are Docker
 * Engine API routes forwarded by Portainer's proxy and are not in that spec (CONTRACT.md 7).
 */
export const ROUTES = {
  systemStatus: ["GET", "/system/status"],
  legacyStatus: ["GET", "/status"],
  adminCheck: ["GET", "/users/admin/check"],
  adminInit: ["POST", "/users/admin/init"],
  auth: ["POST", "/auth"],
  usersMe: ["GET", "/users/me"],
  apiKeyCreate: ["POST", "/users/{id}/tokens"],
  apiKeyList: ["GET", "/users/{id}/tokens"],
  apiKeyDelete: ["DELETE", "/users/{id}/tokens/{keyID}"],
  groupCreate: ["POST", "/endpoint_groups"],
  groupList: ["GET", "/endpoint_groups"],
  groupGet: ["GET", "/endpoint_groups/{id}"],
  groupUpdate: ["PUT", "/endpoint_groups/{id}"],
  groupDelete: ["DELETE", "/endpoint_groups/{id}"],
  tagCreate: ["POST", "/tags"],
  tagList: ["GET", "/tags"],
  tagDelete: ["DELETE", "/tags/{id}"],
  environmentCreate: ["POST", "/endpoints"],
  environmentList: ["GET", "/endpoints"],
  environmentGet: ["GET", "/endpoints/{id}"],
  environmentUpdate: ["PUT", "/endpoints/{id}"],
  environmentDelete: ["DELETE", "/endpoints/{id}"],
  stackCreateStandalone: ["POST", "/stacks/create/standalone/string"],
  stackCreateSwarm: ["POST", "/stacks/create/swarm/string"],
  stackList: ["GET", "/stacks"],
  stackGet: ["GET", "/stacks/{id}"],
  stackFile: ["GET", "/stacks/{id}/file"],
  stackUpdate: ["PUT", "/stacks/{id}"],
  stackStart: ["POST", "/stacks/{id}/start"],
  stackStop: ["POST", "/stacks/{id}/stop"],
  stackDelete: ["DELETE", "/stacks/{id}"],
  dockerSwarm: ["GET", "/endpoints/{id}/docker/swarm"],
  dockerContainerList: ["GET", "/endpoints/{id}/docker/containers/json"],
  dockerConfigCreate: ["POST", "/endpoints/{id}/docker/configs/create"],
  dockerConfigList: ["GET", "/endpoints/{id}/docker/configs"],
  dockerConfigGet: ["GET", "/endpoints/{id}/docker/configs/{resourceId}"],
  dockerConfigDelete: ["DELETE", "/endpoints/{id}/docker/configs/{resourceId}"],
  dockerSecretCreate: ["POST", "/endpoints/{id}/docker/secrets/create"],
  dockerSecretList: ["GET", "/endpoints/{id}/docker/secrets"],
  dockerSecretGet: ["GET", "/endpoints/{id}/docker/secrets/{resourceId}"],
  dockerSecretDelete: ["DELETE", "/endpoints/{id}/docker/secrets/{resourceId}"],
} as const;

export type RouteName = keyof typeof ROUTES;
