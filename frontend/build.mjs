// Bundle the browser assets into webapp/static/build; everything is served by the app itself.
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "webapp", "static", "build");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: {
    "task-form": join(here, "src", "task-form.jsx"),
    "diagram": join(here, "src", "diagram.js"),
    "modeler": join(here, "src", "modeler.js"),
    "dashboard": join(here, "src", "dashboard.js"),
  },
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "iife",
  target: ["es2020"],
  jsx: "automatic",
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
await build({
  entryPoints: {
    "task-form": join(here, "src", "task-form.css"),
    "diagram": join(here, "src", "diagram.css"),
    "modeler": join(here, "src", "modeler.css"),
  },
  outdir: out,
  bundle: true,
  minify: true,
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
  logLevel: "warning",
});

// Swagger UI for the API document, from its npm distribution.
const swagger = join(here, "node_modules", "swagger-ui-dist");
mkdirSync(join(out, "swagger-ui"), { recursive: true });
for (const name of ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"]) {
  cpSync(join(swagger, name), join(out, "swagger-ui", name));
}
console.log(`built browser assets in ${out}`);
