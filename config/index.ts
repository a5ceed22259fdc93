/** The site configuration model. `loadSiteConfig` (config/load.ts) is for the Pulumi program only. */
export * from "./schema";
export * from "./secret";
export * from "./validate";
export * from "./desired";
export { readStackFile, readRuntimeConfig, StackFileError } from "./sources";
