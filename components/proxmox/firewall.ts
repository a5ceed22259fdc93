/**
 * `GuestFirewallRules`: a guest's Proxmox firewall, with the provider's firewall resources: its options (on, inbound
 * dropped, outbound allowed) and its rules (`config/firewall.ts`). Proxmox applies them only while the datacenter
 * firewall is on and the guest's NIC has `firewall: true`, which the guest's args set (CONTRACT.md section 4).
 */
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { FIREWALL_POLICY, type FirewallRule } from "../../config/firewall";

export interface GuestFirewallArgs {
  readonly nodeName: string;
  readonly kind: "vm" | "lxc";
  readonly id: number;
  /** `phoenix:firewall.enabled`: false keeps the rules and turns the guest's firewall off. */
  readonly enabled: boolean;
  readonly rules: readonly FirewallRule[];
  /** The guest's Proxmox resource. */
  readonly guest: pulumi.Resource;
}

/** The provider's rule for one of the site's: inbound ACCEPT unless it says otherwise; absent fields match any. */
export function providerRule(r: FirewallRule) {
  return {
    type: r.direction ?? "in",
    action: r.action ?? "ACCEPT",
    ...(r.proto ? { proto: r.proto } : {}),
    ...(r.dport ? { dport: r.dport } : {}),
    ...(r.source ? { source: r.source } : {}),
    ...(r.dest ? { dest: r.dest } : {}),
    comment: r.comment,
    enabled: true,
  };
}

export class GuestFirewallRules extends pulumi.ComponentResource {
  constructor(name: string, args: GuestFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:proxmox:GuestFirewall", name, {}, opts);
    const target = { nodeName: args.nodeName, ...(args.kind === "vm" ? { vmId: args.id } : { containerId: args.id }) };
    const after = { parent: this, dependsOn: [args.guest] };
    // Rules first: the policy drops inbound traffic only once what the site needs is allowed.
    const rules = new proxmox.firewall.RulesLegacy(
      `${name}-rules`,
      { ...target, rules: args.rules.map(providerRule) },
      after,
    );
    new proxmox.firewall.OptionsLegacy(
      `${name}-options`,
      { ...target, enabled: args.enabled, ...FIREWALL_POLICY },
      { ...after, dependsOn: [args.guest, rules] },
    );
    this.registerOutputs({});
  }
}
