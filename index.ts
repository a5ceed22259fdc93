/**
 * The phoenix Pulumi program. It stays thin: load and validate the stack's configuration, build the
 * site, export what users need.
 */
import { SITE_NAME, Site } from "./components/site";
import { loadSiteConfig } from "./config/load";

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
