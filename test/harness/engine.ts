/**
 * A fake Pulumi engine for dynamic resources in tests (../shared/pulumi/ENGINELESS.md): capture what the
 * engine would receive under `setMocks`, then drive Pulumi's real dynamic-provider host (lab/host.ts).
 */
import { tlsMockOutputs } from "../helpers/tlsMocks";
import * as pulumi from "@pulumi/pulumi";

export {
  DynamicProviderHost,
  SECRET_SIG,
  annotateSecrets,
  isSecret,
  secret,
  stripSecrets,
  urnOf,
  type DiffChanges,
} from "../../lab/host";

type Props = Record<string, unknown>;

/** One registration the engine would receive. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Props;
}

/**
 * Runs `build` under mocks and returns the registrations of custom resources, in order. Call from a jest
 * test: ts-jest compiles providers as ts-node does for `pulumi up` (comments aside, see ADR 005).
 */
export async function captureRegistrations(
  build: () => void,
  stack = "dev",
  project = "phoenix",
): Promise<Registration[]> {
  const seen: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        seen.push({ type: a.type, name: a.name, inputs: a.inputs as Props });
        return { id: `${a.name}-id`, state: { ...a.inputs, ...tlsMockOutputs(a.type, a.name) } };
      },
      call: (a) => a.inputs,
    },
    project,
    stack,
    false,
  );
  build();
  // Registration is asynchronous: wait until the outputs settle.
  for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  return seen;
}
