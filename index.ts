/**
 * The phoenix Pulumi program. It stays thin: load and validate the stack's configuration, build the
 * site, export what users need.
 */
import { SITE_NAME, Site } from "./components/site";
import { loadSiteConfig } from "./config/load";

// The Pulumi SDK records `new Error().stack` for every promise it makes, and ts-node's source maps make
// that cost about 11 ms per resource (ADR 011). phoenix shows messages, not stack traces;
// PHOENIX_STACK_TRACES=1 keeps them for debugging.
if (process.env["PHOENIX_STACK_TRACES"] === undefined) Error.stackTraceLimit = 0;

const site = new Site(SITE_NAME, { config: loadSiteConfig() });

/** Guest name to IPv4 address. */
export const guestIps = site.guestIps;
/** The Portainer API URL. */
export const portainerUrl = site.portainerUrl;
/** Portainer environment ids, by guest name. */
export const environmentIds = site.environmentIds;
/** Portainer stack ids, by `<stack>@<guest>`. */
export const stackIds = site.stackIds;
/** The API key phoenix created in Portainer (a secret). */
export const portainerApiKey = site.portainerApiKey;
/** phoenix's CA certificate (PEM): import it where clients must trust the gateways and Portainer. */
export const caCertificate = site.caCertificate;
/** The values of the Proxmox API tokens `phoenix:hypervisor` created (`user!token`); secrets. */
export const hypervisorTokens = site.hypervisorTokens;
