/**
 * The Microsoft Graph simulator: loopback login, Graph v1.0, download and DB service servers
 * that speak Microsoft's wire format, for tests, `ingest sim` and `ingest demo`.
 *
 * @example
 * ```ts
 * import { startSimulator } from "./mod.ts";
 * await using sim = await startSimulator({ files: [{ path: "Reports/a.csv", size: 1024 }] });
 * sim.addFault({ match: { server: "graph", path: "/children" }, fault: { kind: "status", status: 429, retryAfter: "1" } });
 * ```
 * @module
 */
export { createTestCertificate, type TestCertificate } from "./certificate.ts";
export {
  DEFAULT_SIM_FOLDER,
  defaultDemoFiles,
  filesFromDirectory,
  generatedFiles,
  runSimulatorCli,
  type SimulatorCliOptions,
} from "./sim_cli.ts";
export {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_TENANT_ID,
  startSimulator,
} from "./simulator.ts";
export type * from "./types.ts";
