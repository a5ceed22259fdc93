/** The phoenix components. */
export { Site, guestKey, type SiteArgs } from "./site";
export { ProxmoxVm, type ProxmoxVmArgs } from "./proxmox/vm";
export { ProxmoxLxc, type ProxmoxLxcArgs } from "./proxmox/lxc";
export { GuestSetup, type GuestSetupArgs } from "./guest/guestSetup";
export { PortainerServer, type PortainerServerArgs } from "./portainer/server";
export { PortainerAgent, type PortainerAgentArgs } from "./portainer/agent";
export { DockerStack, type DockerStackArgs } from "./portainer/dockerStack";
