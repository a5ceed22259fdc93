// Proves: the project file asks the Pulumi CLI to refresh before every preview, up and destroy
// (`options: refresh: always`), so that `pulumi preview` shows drift as the README says.
// Does not prove: the CLI's behaviour (not installable here); the option is documented in Pulumi's
// project file reference and read by getRefreshOption in pkg/cmd/pulumi.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR } from "./helpers/site";

describe("Pulumi.yaml", () => {
  it("refreshes always, with the nodejs runtime in TypeScript", () => {
    const project = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    expect(project).toMatchObject({
      name: "phoenix",
      runtime: { name: "nodejs", options: { typescript: true } },
      options: { refresh: "always" },
    });
  });
});
