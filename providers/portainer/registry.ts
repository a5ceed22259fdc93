/**
 * Phoenix's dynamic providers (Portainer's, and the Proxmox snapshot) by resource type: what the loaders stored in
 * state (runtime.ts) forward to. A type must stay here as long as any state may hold a resource of it, so that it can
 * be deleted.
 */
import type * as pulumi from "@pulumi/pulumi";
import { adminProvider } from "./admin";
import { apiKeyProvider } from "./apiKey";
import { dockerConfigProvider, dockerSecretProvider } from "./dockerObject";
import { endpointGroupProvider } from "./endpointGroup";
import { environmentProvider } from "./environment";
import type { ProviderType } from "./runtime";
import { stackProvider } from "./stack";
import { tagProvider } from "./tag";
import { snapshotProvider } from "../proxmox/snapshot";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own input and output types
export const PROVIDERS: Record<ProviderType, pulumi.dynamic.ResourceProvider<any, any>> = {
  Admin: adminProvider,
  ApiKey: apiKeyProvider,
  Tag: tagProvider,
  EndpointGroup: endpointGroupProvider,
  Environment: environmentProvider,
  Stack: stackProvider,
  DockerConfig: dockerConfigProvider,
  DockerSecret: dockerSecretProvider,
  Snapshot: snapshotProvider,
};
