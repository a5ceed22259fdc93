/** The Portainer API client, its errors and wire types, and the dynamic providers. */
export * from "./client";
export * from "./errors";
export * from "./routes";
export type * from "./wire";
