// Proves: every route the client can send exists in Portainer's published spec
// (../shared/portainer/swagger-ee-2.27.0.yaml), and every query parameter, form field and JSON body key
// the client actually sent (recorded by the fake while driving every client method) is a parameter or
// definition property of that operation, compared case-insensitively as Portainer decodes them.
// Exempt, by design: /endpoints/{id}/docker/... routes, which are Docker Engine API routes forwarded by
// Portainer's proxy and not part of Portainer's spec (CONTRACT.md 7).
// Does not prove: response shapes (the spec's response casing is wrong, CONTRACT.md 0; the wire schemas
// follow the contract instead and are exercised against the fake in client.test.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROUTES } from "../../../providers/portainer/routes";
import { startFakePortainer, type RecordedRequest } from "../../fakes/portainer/server";
import { exerciseEveryRoute } from "../../helpers/clientScenario";

interface Param {
  in: string;
  name: string;
  schema?: { $ref?: string };
}
interface Spec {
  paths: Record<string, Record<string, { parameters?: Param[] }>>;
  definitions: Record<string, { properties?: Record<string, unknown> }>;
}

const SPEC_FILE = path.resolve(__dirname, "../../../../shared/portainer/swagger-ee-2.27.0.yaml");
const spec = parse(fs.readFileSync(SPEC_FILE, "utf8"), { maxAliasCount: -1 }) as Spec;
const isDockerProxy = (template: string) => template.startsWith("/endpoints/{id}/docker/");
const routes = Object.entries(ROUTES).map(([name, [method, template]]) => ({ name, method, template }));

/** The spec path whose template matches ours, parameter names aside (`{id}` vs `{environmentId}`). */
function specPath(template: string): string | undefined {
  const shape = (p: string) => p.replace(/\{[^}]+\}/g, "{}");
  return Object.keys(spec.paths).find((p) => shape(p) === shape(template));
}

/** The names an operation accepts, by location, lower-cased. */
function accepted(template: string, method: string): { query: Set<string>; form: Set<string>; body: Set<string> } {
  const op = spec.paths[specPath(template)!]![method.toLowerCase()]!;
  const out = { query: new Set<string>(), form: new Set<string>(), body: new Set<string>() };
  for (const p of op.parameters ?? []) {
    if (p.in === "query") out.query.add(p.name.toLowerCase());
    if (p.in === "formData") out.form.add(p.name.toLowerCase());
    if (p.in === "body" && p.schema?.$ref) {
      const def = spec.definitions[p.schema.$ref.replace("#/definitions/", "")];
      for (const k of Object.keys(def?.properties ?? {})) out.body.add(k.toLowerCase());
    }
  }
  return out;
}

function routeOf(r: RecordedRequest) {
  const sub = r.path.replace(/^\/api/, "");
  return routes.find(
    (x) => x.method === r.method && new RegExp(`^${x.template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(sub),
  );
}

describe("the client's routes against Portainer's published spec", () => {
  it.each(routes.filter((r) => !isDockerProxy(r.template)))(
    "$name: $method $template is in the spec",
    ({ method, template }) => {
      const p = specPath(template);
      expect(p).toBeDefined();
      expect(Object.keys(spec.paths[p!]!)).toContain(method.toLowerCase());
    },
  );

  it("exempts exactly the Docker proxy routes, which the spec does not document", () => {
    const missing = routes.filter((r) => specPath(r.template) === undefined).map((r) => r.name);
    expect(missing).toEqual(routes.filter((r) => isDockerProxy(r.template)).map((r) => r.name));
  });

  it("sends only parameter and field names the spec defines, for every route it can send", async () => {
    const fake = await startFakePortainer();
    try {
      await exerciseEveryRoute(fake);
      // Every route of the table was exercised by the scenario, so nothing escapes this check.
      const seen = new Set(fake.requests.map((r) => routeOf(r)?.name));
      expect(routes.map((r) => r.name).filter((n) => !seen.has(n))).toEqual([]);
      const unknown: string[] = [];
      for (const r of fake.requests) {
        const route = routeOf(r)!;
        if (isDockerProxy(route.template)) continue;
        const ok = accepted(route.template, route.method);
        for (const q of Object.keys(r.query))
          if (!ok.query.has(q.replace(/\[\]$/, "").toLowerCase())) unknown.push(`${route.name} query ${q}`);
        for (const f of Object.keys(r.form ?? {}))
          if (!ok.form.has(f.toLowerCase())) unknown.push(`${route.name} form ${f}`);
        if (r.json && typeof r.json === "object" && !Array.isArray(r.json)) {
          for (const k of Object.keys(r.json))
            if (!ok.body.has(k.toLowerCase())) unknown.push(`${route.name} body ${k}`);
        }
      }
      expect(unknown).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it("would catch a field the spec does not define (positive control)", () => {
    const ok = accepted("/stacks/{id}", "PUT");
    expect(ok.body.has("stackfilecontent")).toBe(true);
    expect(ok.body.has("stackfile")).toBe(false);
    expect(accepted("/endpoints", "POST").form.has("tagids")).toBe(true);
  });
});
