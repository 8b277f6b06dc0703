// Bundles the app with esbuild into Chat.Server's wwwroot (or WEB_APP_OUT_DIR): app.js and
// app.css, the fonts they use, the files in public/, and index.html, whose asset URLs carry a
// content hash (?v=…) so the server can let browsers cache them for good. index.html is written
// last: MSBuild takes its timestamp as the bundle's.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(process.env.WEB_APP_OUT_DIR ?? join(here, "../src/Chat.Server/wwwroot"));
const watch = process.argv.includes("--watch");

const options = {
  absWorkingDir: here,
  entryPoints: { app: "src/main.tsx" },
  outdir: outDir,
  bundle: true,
  format: "esm",
  target: ["es2022", "chrome111", "edge111", "firefox114", "safari16.4"],
  minify: !watch,
  sourcemap: "linked",
  metafile: true,
  legalComments: "linked",
  loader: { ".woff2": "file" },
  assetNames: "assets/[name]-[hash]",
  logLevel: "warning",
  plugins: [{
    name: "index-html",
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length === 0) await writeIndex(result.metafile);
      });
    },
  }],
};

async function hashOf(file) {
  return createHash("sha256").update(await readFile(file)).digest("base64url").slice(0, 12);
}

async function writeIndex(metafile) {
  await cp(join(here, "public"), outDir, { recursive: true });
  const url = (file) => "/" + relative(outDir, file).split("\\").join("/");
  const outputs = Object.keys(metafile.outputs).map((file) => resolve(here, file));
  const find = (name) => outputs.find((file) => basename(file) === name);
  // The Latin text face is needed on every page: preloading it keeps text from reflowing.
  const font = outputs.find((file) => /inter-latin-wght-normal-.*\.woff2$/.test(basename(file)));
  const template = await readFile(join(here, "index.html"), "utf8");
  const html = template
    .replace("{{css}}", `${url(find("app.css"))}?v=${await hashOf(find("app.css"))}`)
    .replace("{{js}}", `${url(find("app.js"))}?v=${await hashOf(find("app.js"))}`)
    .replace("{{font}}", font ? url(font) : "");
  await writeFile(join(outDir, "index.html"), html);
}

// Content is text, always: the CSP's Trusted Types would stop an HTML sink at run time, and this
// stops it at build time, so none is ever written in the first place.
async function refuseHtmlSinks(dir) {
  const sinks = /\b(innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|document\.write|createContextualFragment|DOMParser)\b/;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await refuseHtmlSinks(path);
    else if (/\.tsx?$/.test(entry.name)) {
      const lines = (await readFile(path, "utf8")).split("\n");
      const line = lines.findIndex((text) => sinks.test(text) && !/^\s*(\/\/|\*)/.test(text));
      if (line >= 0) throw new Error(`${relative(here, path)}:${line + 1}: HTML sinks are not allowed: build DOM nodes instead.`);
    }
  }
}

await refuseHtmlSinks(join(here, "src"));
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log(`watching web/src, writing to ${outDir}`);
} else {
  await esbuild.build(options);
}
