/** The Portainer API client, its errors and wire types. Dynamic providers come in their own files. */
export * from "./client";
export * from "./errors";
export * from "./routes";
export type * from "./wire";
