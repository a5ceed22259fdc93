/** The Portainer API client, its errors and wire types, and the dynamic providers. */
export * from "./client";
export * from "./errors";
export * from "./routes";
export type * from "./wire";
export type { ConnectionArgs, ConnectionInputs } from "./dynamic";
export { PortainerAdmin, type PortainerAdminArgs } from "./admin";
export { PortainerApiKey, type PortainerApiKeyArgs } from "./apiKey";
export { PortainerTag, type PortainerTagArgs } from "./tag";
export { PortainerEndpointGroup, type PortainerEndpointGroupArgs } from "./endpointGroup";
export { PortainerEnvironment, type PortainerEnvironmentArgs, type EnvironmentKind } from "./environment";
export { PortainerStack, type PortainerStackArgs } from "./stack";
export { PortainerDockerConfig, PortainerDockerSecret, type PortainerDockerObjectArgs } from "./dockerObject";
