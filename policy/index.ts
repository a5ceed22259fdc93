/**
 * The policy pack: `pulumi preview --policy-pack policy` (or `pulumi up --policy-pack policy`) from the
 * project directory. The rules are in policies.ts; they apply to stacks named `prod*`.
 */
import { PolicyPack } from "@pulumi/policy";
import { productionPolicies } from "./policies";

new PolicyPack("phoenix-production", { policies: productionPolicies() });
