/**
 * Two servers' traces for the several-traces specs, written by the one seeded trace builder: the
 * same serving traffic (same seed, so the same ObjectKeys) on `fleet-a` and `fleet-b`, fleet-b
 * running 1.6x slower, starting FLEET_B_LATER_S later on the wall clock, and rotated into two segments at record
 * FLEET_B_CUT (each segment behind its own header with the same config, as `--trace-max-mb`
 * writes them). Deterministic: the same bytes every run. The specs read their expected answers
 * from these files (trace-facts.ts), never from constants.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { TraceBuilder, trafficCalls } from '@kvtrace/trace/test-support';

export const FLEET_A = 'fleet-a.lct';
export const FLEET_B = ['fleet-b.lct', 'fleet-b.000001.lct'] as const;
export const FLEET_FILES = [FLEET_A, ...FLEET_B] as const;
export const FLEET_B_LATER_S = 0.0007;
export const FLEET_B_CUT = 60;
const WALL_START = 1776340800.25;

export function writeFleetTraces(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const traffic = (timeScale: number) => [...trafficCalls({ seed: 11, requests: 24, keysPerCall: 4, concurrency: 3, gapS: 0.002, timeScale })];
  const write = (name: string, calls: ReturnType<typeof traffic>, wall: number) => {
    const b = TraceBuilder.memory({ config: { l1_size_gb: 8, chunk_size: 256 }, tMonoStart: 200, tWallStart: wall });
    for (const c of calls) b.call(c.method, c.t, c.args);
    writeFileSync(`${dir}/${name}`, b.bytes());
  };
  const b = traffic(1.6);
  write(FLEET_A, traffic(1), WALL_START);
  write(FLEET_B[0], b.slice(0, FLEET_B_CUT), WALL_START + FLEET_B_LATER_S);
  write(FLEET_B[1], b.slice(FLEET_B_CUT), WALL_START + FLEET_B_LATER_S);
}
