/**
 * Zod schemas of Portainer's responses, with the casing the server really sends
 * (../shared/portainer/CONTRACT.md 0 and 10.7): PascalCase, `ID` on tags and Docker objects, camelCase on
 * API keys. Unknown fields are tolerated (stripped). Built by a function, never held at module top
 * level, because this module is serialized with the dynamic providers.
 */
import { z } from "zod";

export function wireSchemas() {
  const ids = z.array(z.number()).nullable().optional().transform((v) => v ?? []);
  const envVar = z.object({ name: z.string(), value: z.string() });
  const apiKey = z.object({
    id: z.number(),
    userId: z.number(),
    description: z.string(),
    prefix: z.string(),
    dateCreated: z.number(),
    lastUsed: z.number(),
  });
  return {
    status: z.object({ Version: z.string(), InstanceID: z.string().optional() }),
    auth: z.object({ jwt: z.string().min(1) }),
    user: z.object({ Id: z.number(), Username: z.string(), Role: z.number() }),
    apiKey,
    apiKeyCreated: z.object({ rawAPIKey: z.string().min(1), apiKey }),
    group: z.object({ Id: z.number(), Name: z.string(), Description: z.string().optional().default(""), TagIds: ids }),
    tag: z.object({ ID: z.number(), Name: z.string() }),
    environment: z.object({
      Id: z.number(),
      Name: z.string(),
      Type: z.number(),
      URL: z.string(),
      PublicURL: z.string().optional().default(""),
      GroupId: z.number(),
      TagIds: ids,
      Status: z.number(),
      TLSConfig: z
        .object({ TLS: z.boolean().optional().default(false), TLSSkipVerify: z.boolean().optional().default(false) })
        .optional()
        .default({ TLS: false, TLSSkipVerify: false }),
      EdgeKey: z.string().optional().default(""),
    }),
    stack: z.object({
      Id: z.number(),
      Name: z.string(),
      Type: z.number(),
      EndpointId: z.number(),
      SwarmId: z.string().optional().default(""),
      EntryPoint: z.string().optional().default(""),
      Env: z.array(envVar).nullable().optional().transform((v) => v ?? []),
      Status: z.number(),
      CreationDate: z.number().optional().default(0),
      UpdateDate: z.number().optional().default(0),
    }),
    stackFile: z.object({ StackFileContent: z.string() }),
    swarm: z.object({ ID: z.string().min(1) }),
    dockerCreated: z.object({ ID: z.string().min(1) }),
    dockerObject: z.object({
      ID: z.string(),
      Version: z.object({ Index: z.number() }).optional(),
      Spec: z.object({
        Name: z.string(),
        Labels: z.record(z.string(), z.string()).nullable().optional().transform((v) => v ?? {}),
        Data: z.string().optional(),
      }),
    }),
  };
}

type Schemas = ReturnType<typeof wireSchemas>;
export type Status = z.output<Schemas["status"]>;
export type User = z.output<Schemas["user"]>;
export type ApiKey = z.output<Schemas["apiKey"]>;
export type ApiKeyCreated = z.output<Schemas["apiKeyCreated"]>;
export type EndpointGroup = z.output<Schemas["group"]>;
export type Tag = z.output<Schemas["tag"]>;
export type Environment = z.output<Schemas["environment"]>;
export type Stack = z.output<Schemas["stack"]>;
export type DockerObject = z.output<Schemas["dockerObject"]>;
export type EnvVar = { name: string; value: string };
