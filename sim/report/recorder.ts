/**
 * What a simulated run looked like over time, for the HTML report (sim/report/html.ts): named series sampled on the
 * simulated clock (grid power, demand, device commands and actuals, SoC, PV available and allowed) and markers
 * (faults, alarms, safe state, strategy and task changes, MQTT outages, schedule fires). Host-only: it keeps
 * everything in plain arrays.
 */

export interface Marker {
  /** Seconds since the start of the run. */
  t: number;
  kind: "fault" | "alarm" | "safe" | "strategy" | "task" | "mqtt" | "schedule";
  text: string;
}

/** A chart of the report: which series it draws, in which unit. */
export interface ChartSpec {
  title: string;
  unit: string;
  series: string[];
}

export class RunRecorder {
  /** Sample times, s since the start. */
  readonly t: number[] = [];
  readonly series = new Map<string, number[]>();
  readonly markers: Marker[] = [];

  /** One sample of every series (a series missing from `values` gets null, drawn as a gap). */
  sample(tS: number, values: Record<string, number | null>): void {
    const index = this.t.length;
    this.t.push(tS);
    for (const [name, value] of Object.entries(values)) {
      let column = this.series.get(name);
      if (!column) {
        column = new Array<number>(index).fill(NaN);
        this.series.set(name, column);
      }
      column.push(value === null || value !== value ? NaN : value);
    }
    for (const column of this.series.values()) if (column.length < index + 1) column.push(NaN);
  }

  mark(tS: number, kind: Marker["kind"], text: string): void {
    this.markers.push({ t: tS, kind, text });
  }
}
