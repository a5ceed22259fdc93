/**
 * The scripts the program registers for each guest, taken from the program under mocks (Site over a valid
 * configuration), not rendered again by the tests: `Command` resource name to its `create` text.
 */
import { Site } from "../../components/site";
import { validateSite } from "../../config/validate";
import { isSecret } from "../harness/engine";
import { recordResources } from "../helpers/program";
import { EXAMPLE_STACKS, PROJECT_DIR, SECRET_KEYS, rawConfig, validValues } from "../helpers/site";

type Values = Record<string, unknown>;

/** The registered commands' scripts by resource name; asking for one the program does not register throws. */
export class Scripts {
  constructor(readonly all: Readonly<Record<string, string>>) {}
  get(name: string): string {
    const s = this.all[name];
    if (s === undefined)
      throw new Error(`the program registers no command ${name} (it has ${Object.keys(this.all).join(", ")})`);
    return s;
  }
}

export async function registeredScripts(
  mutate: (v: Values) => void = () => undefined,
  extraSecretKeys: readonly string[] = [],
): Promise<Scripts> {
  const v = validValues();
  mutate(v);
  const r = validateSite(rawConfig(v, [...SECRET_KEYS, ...extraSecretKeys]), {
    stacksDir: EXAMPLE_STACKS,
    projectDir: PROJECT_DIR,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const rs = await recordResources((opts) => void new Site("phoenix", { config: r.site }, opts));
  // A script with a secret env is a secret input: unwrap it, as the engine hands it to the provider.
  const text = (v: unknown) => String(isSecret(v) ? v.value : v);
  return new Scripts(
    Object.fromEntries(
      rs.filter((x) => x.type === "command:remote:Command").map((x) => [x.name, text(x.inputs["create"])]),
    ),
  );
}

/** The VMs of {@link validValues}: 1001 (primary) and 1002 (agent), with the cloud-init user `phoenix_user`. */
export const VM_USER = "phoenix_user";
