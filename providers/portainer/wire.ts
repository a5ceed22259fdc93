/**
 * Zod schemas of Portainer's responses, with the casing the server really sends
 * (../shared/portainer/CONTRACT.md 0 and 10.7): PascalCase, `ID` on tags and Docker objects, camelCase on
 * API keys. Unknown fields are tolerated (stripped). One function per domain; none is held at module top
 * level (this module was closure-serialized before ADR 011, and a zod instance cannot be).
 */
import { z } from "zod";

const ids = () =>
  z
    .array(z.number())
    .nullable()
    .optional()
    .transform((v) => v ?? []);

export function userSchemas() {
  const apiKey = z.object({
    id: z.number(),
    userId: z.number(),
    description: z.string(),
    prefix: z.string(),
    dateCreated: z.number(),
    lastUsed: z.number(),
  });
  return {
    user: z.object({ Id: z.number(), Username: z.string(), Role: z.number() }),
    apiKey,
    apiKeyCreated: z.object({ rawAPIKey: z.string().min(1), apiKey }),
  };
}

export function groupSchema() {
  return z.object({ Id: z.number(), Name: z.string(), Description: z.string().optional().default(""), TagIds: ids() });
}

export function tagSchema() {
  return z.object({ ID: z.number(), Name: z.string() });
}

export function environmentSchema() {
  return z.object({
    Id: z.number(),
    Name: z.string(),
    Type: z.number(),
    URL: z.string(),
    PublicURL: z.string().optional().default(""),
    GroupId: z.number(),
    TagIds: ids(),
    Status: z.number(),
    TLSConfig: z
      .object({ TLS: z.boolean().optional().default(false), TLSSkipVerify: z.boolean().optional().default(false) })
      .optional()
      .default({ TLS: false, TLSSkipVerify: false }),
    /** The agent's version, as Portainer last saw it ("" for non-agent environments, CONTRACT.md 5.1). */
    Agent: z
      .object({ Version: z.string().optional().default("") })
      .nullable()
      .optional()
      .transform((a) => ({ Version: a?.Version ?? "" })),
  });
}

export function stackSchemas() {
  return {
    stack: z.object({
      Id: z.number(),
      Name: z.string(),
      Type: z.number(),
      EndpointId: z.number(),
      SwarmId: z.string().optional().default(""),
      Env: z
        .array(z.object({ name: z.string(), value: z.string() }))
        .nullable()
        .optional()
        .transform((v) => v ?? []),
      Status: z.number(),
    }),
    file: z.object({ StackFileContent: z.string() }),
  };
}

export function dockerSchemas() {
  return {
    swarm: z.object({ ID: z.string().min(1) }),
    /** Docker's container summary (`GET /containers/json`), the fields phoenix reads. */
    container: z.object({
      Id: z.string(),
      Names: z.array(z.string()).optional().default([]),
      State: z.string(),
      Status: z.string().optional().default(""),
      Labels: z
        .record(z.string(), z.string())
        .nullable()
        .optional()
        .transform((v) => v ?? {}),
      /** Docker API 1.52+ adds the health status to the summary; older engines put it in `Status` only. */
      Health: z.object({ Status: z.string() }).nullable().optional(),
    }),
    created: z.object({ ID: z.string().min(1) }),
    object: z.object({
      ID: z.string(),
      Spec: z.object({
        Name: z.string(),
        Labels: z
          .record(z.string(), z.string())
          .nullable()
          .optional()
          .transform((v) => v ?? {}),
        Data: z.string().optional(),
      }),
    }),
  };
}

/** Parses a JSON array with an item schema. */
export function listOf<T>(item: z.ZodType<T>): (body: unknown) => T[] {
  return (body) => {
    if (!Array.isArray(body)) throw new TypeError("expected a JSON array");
    return body.map((x) => item.parse(x));
  };
}

export type User = z.output<ReturnType<typeof userSchemas>["user"]>;
export type ApiKey = z.output<ReturnType<typeof userSchemas>["apiKey"]>;
export type ApiKeyCreated = z.output<ReturnType<typeof userSchemas>["apiKeyCreated"]>;
export type EndpointGroup = z.output<ReturnType<typeof groupSchema>>;
export type Tag = z.output<ReturnType<typeof tagSchema>>;
export type Environment = z.output<ReturnType<typeof environmentSchema>>;
export type Stack = z.output<ReturnType<typeof stackSchemas>["stack"]>;
export type DockerObject = z.output<ReturnType<typeof dockerSchemas>["object"]>;
export type Container = z.output<ReturnType<typeof dockerSchemas>["container"]>;
export type EnvVar = { name: string; value: string };
