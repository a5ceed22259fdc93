/**
 * The phoenix Pulumi program. It stays thin: load and validate the stack's configuration, build
 * the site, export what users need.
 */
import { loadSiteConfig } from "./config/load";
import { describeSite } from "./config/desired";
import * as pulumi from "@pulumi/pulumi";

const site = loadSiteConfig();
const desired = describeSite(site, pulumi.getStack());

/** Guest name to IPv4 address. */
export const guestIps = Object.fromEntries(site.guests.map((g) => [g.name, g.ip]));
/** The Portainer API URL the program talks to. */
export const portainerUrl = site.portainer?.url;
/** The Portainer environments the site registers, with their URLs. */
export const environments = desired.environments;
