/**
 * In-process counters and gauges named as in the seed spec (`syncjob.download.success.count`, …),
 * exported in Prometheus text format for the node_exporter / windows_exporter textfile collector.
 * @module
 */

/** Kind of a metric: counters only grow; gauges hold the last value. */
export type MetricKind = "counter" | "gauge";

interface Metric {
  kind: MetricKind;
  help: string;
  value: number;
}

/** Turns "syncjob.download.success.count" into "ingest_syncjob_download_success_total". */
export function prometheusName(name: string, kind: MetricKind): string {
  const base = "ingest_" + name.replace(/\.count$/, "").replace(/[^a-zA-Z0-9_]/g, "_");
  return kind === "counter" ? `${base}_total` : base;
}

/** A registry of named metrics, cumulative for the life of the process. */
export class Metrics {
  #metrics = new Map<string, Metric>();

  /** Adds `by` (default 1) to the counter `name`. */
  inc(name: string, by = 1, help = ""): void {
    const metric = this.#get(name, "counter", help);
    metric.value += by;
  }

  /** Sets the gauge `name` to `value`. */
  set(name: string, value: number, help = ""): void {
    this.#get(name, "gauge", help).value = value;
  }

  /** Current value of `name`, 0 when never touched. */
  value(name: string): number {
    return this.#metrics.get(name)?.value ?? 0;
  }

  /** All metrics as a plain object, seed names as keys. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#metrics].map(([name, m]) => [name, m.value]));
  }

  /** Prometheus text exposition format, sorted by name. */
  toPrometheus(): string {
    const lines: string[] = [];
    for (const [name, metric] of [...this.#metrics].sort(([a], [b]) => a.localeCompare(b))) {
      const promName = prometheusName(name, metric.kind);
      if (metric.help) lines.push(`# HELP ${promName} ${metric.help}`);
      lines.push(`# TYPE ${promName} ${metric.kind}`);
      lines.push(`${promName} ${metric.value}`);
    }
    return lines.join("\n") + "\n";
  }

  /**
   * Writes the metrics to `path` atomically (temporary file in the same folder, then rename),
   * so a collector never reads a half-written file.
   */
  async writeFile(path: string): Promise<void> {
    const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      await Deno.writeTextFile(temp, this.toPrometheus());
      await Deno.rename(temp, path);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
  }

  #get(name: string, kind: MetricKind, help: string): Metric {
    let metric = this.#metrics.get(name);
    if (!metric) {
      metric = { kind, help, value: 0 };
      this.#metrics.set(name, metric);
    } else if (help && !metric.help) metric.help = help;
    return metric;
  }
}
