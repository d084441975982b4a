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

/** Prometheus label value escaping: backslash, double quote and line feed. */
function labelText(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) =>
    `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/** One change of a series, as {@link Metrics.observe} reports it. */
export interface MetricChange {
  name: string;
  kind: MetricKind;
  help: string;
  labels: Readonly<Record<string, string>>;
  /** What a counter grew by; for a gauge, its new value. */
  by: number;
}

/** One metric name: kind, help and a value per label set. */
interface Family {
  kind: MetricKind;
  help: string;
  /** Value by label text (`{job="a"}`, or "" for no labels). */
  series: Map<string, number>;
}

/**
 * A registry of named metrics, cumulative for the life of the process (and across processes
 * once `schedule/run_metrics.ts` restores the totals kept in the job's state). {@link withLabels} gives
 * a view that shares the registry and writes its own series (`{job="reports"}`), so several jobs
 * can export into one textfile.
 */
export class Metrics {
  #families: Map<string, Family>;
  #labels: string;
  #labelSet: Readonly<Record<string, string>>;
  #observers = new Set<(change: MetricChange) => void>();

  constructor(options: { labels?: Record<string, string> } = {}) {
    this.#families = new Map();
    this.#labelSet = { ...options.labels };
    this.#labels = labelText(this.#labelSet);
  }

  /** Calls `observer` on every later change of this view's series (the OTLP bridge). */
  observe(observer: (change: MetricChange) => void): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  #notify(name: string, kind: MetricKind, by: number): void {
    const help = this.#families.get(name)?.help ?? "";
    for (const observer of this.#observers) {
      observer({ name, kind, help, labels: this.#labelSet, by });
    }
  }

  /** A view sharing this registry whose series carry `labels`. */
  withLabels(labels: Record<string, string>): Metrics {
    const view = new Metrics({ labels });
    view.#families = this.#families;
    return view;
  }

  /** Adds `by` (default 1) to the counter `name`. */
  inc(name: string, by = 1, help = ""): void {
    const family = this.#get(name, "counter", help);
    family.series.set(this.#labels, (family.series.get(this.#labels) ?? 0) + by);
    if (this.#observers.size > 0) this.#notify(name, "counter", by);
  }

  /** Sets the gauge `name` to `value`. */
  set(name: string, value: number, help = ""): void {
    this.#get(name, "gauge", help).series.set(this.#labels, value);
    if (this.#observers.size > 0) this.#notify(name, "gauge", value);
  }

  /** Current value of `name` in this view's series, 0 when never touched. */
  value(name: string): number {
    return this.#families.get(name)?.series.get(this.#labels) ?? 0;
  }

  /** This view's counters (seed names → values). */
  counters(): Map<string, number> {
    const result = new Map<string, number>();
    for (const [name, family] of this.#families) {
      const value = family.series.get(this.#labels);
      if (family.kind === "counter" && value !== undefined) result.set(name, value);
    }
    return result;
  }

  /**
   * Sets the counter `name` of this view to `total`: the cumulative value kept across processes
   * (see `schedule/run_metrics.ts`). Counters otherwise only grow through {@link inc}.
   */
  restore(name: string, total: number, help = ""): void {
    this.#get(name, "counter", help).series.set(this.#labels, total);
  }

  /** This view's metrics as a plain object, seed names as keys. */
  snapshot(): Record<string, number> {
    const entries: [string, number][] = [];
    for (const [name, family] of this.#families) {
      const value = family.series.get(this.#labels);
      if (value !== undefined) entries.push([name, value]);
    }
    return Object.fromEntries(entries);
  }

  /** Prometheus text exposition format of every series in the registry, sorted by name. */
  toPrometheus(): string {
    const lines: string[] = [];
    for (const [name, family] of [...this.#families].sort(([a], [b]) => a.localeCompare(b))) {
      const promName = prometheusName(name, family.kind);
      if (family.help) lines.push(`# HELP ${promName} ${family.help}`);
      lines.push(`# TYPE ${promName} ${family.kind}`);
      for (const [labels, value] of [...family.series].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(`${promName}${labels} ${value}`);
      }
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

  #get(name: string, kind: MetricKind, help: string): Family {
    let family = this.#families.get(name);
    if (!family) {
      family = { kind, help, series: new Map() };
      this.#families.set(name, family);
    } else if (help && !family.help) family.help = help;
    return family;
  }
}
