// Runs the server's admin commands (`Chat.Server <command>`) as an operator would, from the
// built dll, with the same environment as the server they manage.
import { spawnSync } from "node:child_process";
import { serverDll } from "./server.js";

export function runCli(args, { env = {}, input } = {}) {
  const run = spawnSync("dotnet", [serverDll, ...args], {
    env: { ...process.env, Logging__LogLevel__Default: "Warning", ...env },
    input,
    encoding: "utf8",
    timeout: 60000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, output: run.stdout + run.stderr };
}
