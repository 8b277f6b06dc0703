// A tiny --key value / --flag parser: benchmarks should not need a dependency for this.
export function parseArgs(argv, defaults) {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf("=");
    const key = (eq > 0 ? arg.slice(2, eq) : arg.slice(2)).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option --${arg.slice(2)}; known: ${Object.keys(defaults).join(", ")}`);
    let value = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      if (typeof defaults[key] === "boolean") value = "true";
      else value = argv[++i];
    }
    const kind = typeof defaults[key];
    options[key] = kind === "number" ? Number(value)
      : kind === "boolean" ? value !== "false"
      : value;
    if (kind === "number" && Number.isNaN(options[key])) throw new Error(`--${key} needs a number`);
  }
  return options;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Microseconds on CLOCK_MONOTONIC, which every process on the machine shares. */
export const nowMicros = () => Number(process.hrtime.bigint() / 1000n);
