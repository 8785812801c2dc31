import { FLAG_KINDS, PHASES, type CompareOptions, type FlagKind, type MethodComparison, type MethodStats, type MetricDiff, type PhaseComparison, type StatsComparison, type TraceStats } from './types.ts';

/**
 * Trace `a` (baseline) against trace `b`, methods matched by qualname. A difference is notable when
 * it is large relative to the baseline and rests on enough samples: a 2-call method doubling is noise.
 */
export function compareStats(a: TraceStats, b: TraceStats, options: CompareOptions = {}): StatsComparison {
  const rel = options.relThreshold ?? 0.25;
  const minCount = options.minCount ?? 20;
  const diff = (x: number, y: number, enough: boolean): MetricDiff => {
    const abs = y - x;
    const r = x === 0 || Number.isNaN(x) || Number.isNaN(y) ? null : abs / Math.abs(x);
    const notable = enough && (r === null ? x === 0 && y !== 0 && !Number.isNaN(y) : Math.abs(r) >= rel);
    return { a: x, b: y, abs, rel: r, notable };
  };

  const byA = new Map(a.methods.map((m) => [m.qualname, m]));
  const byB = new Map(b.methods.map((m) => [m.qualname, m]));
  const names = [...new Set([...byA.keys(), ...byB.keys()])];
  const methods: MethodComparison[] = names.map((q) => {
    const ma = byA.get(q), mb = byB.get(q);
    const ca = ma?.count ?? 0, cb = mb?.count ?? 0;
    const enough = Math.max(ca, cb) >= minCount;
    return {
      qualname: q,
      name: (ma ?? mb as MethodStats).name,
      onlyIn: ma && mb ? null : ma ? 'a' : 'b',
      count: diff(ca, cb, enough),
      share: diff(ma?.share ?? 0, mb?.share ?? 0, enough),
      rate: diff(ma?.rate ?? 0, mb?.rate ?? 0, enough),
      keysP50: diff(ma?.keysPerCall.p50 ?? NaN, mb?.keysPerCall.p50 ?? NaN, enough),
    };
  });
  methods.sort((x, y) => Math.max(y.count.a, y.count.b) - Math.max(x.count.a, x.count.b));

  const phases: PhaseComparison[] = [];
  const la = a.lifecycle, lb = b.lifecycle;
  if (la && lb) {
    for (const p of PHASES) {
      const pa = la.phases[p], pb = lb.phases[p];
      const enough = Math.min(pa.count, pb.count) >= minCount;
      phases.push({
        phase: p,
        count: diff(pa.count, pb.count, Math.max(pa.count, pb.count) >= minCount),
        p50: diff(pa.p50, pb.p50, enough),
        p90: diff(pa.p90, pb.p90, enough),
        p99: diff(pa.p99, pb.p99, enough),
      });
    }
  }
  const flags = {} as Record<FlagKind, MetricDiff>;
  for (const k of FLAG_KINDS) {
    const fa = la?.flagCounts[k] ?? 0, fb = lb?.flagCounts[k] ?? 0;
    // Any flag appearing where the baseline had none is worth a look, whatever its count.
    flags[k] = diff(fa, fb, Math.max(fa, fb) >= minCount || (fa === 0 && fb > 0));
  }
  return {
    calls: diff(a.calls, b.calls, Math.max(a.calls, b.calls) >= minCount),
    duration: diff(a.duration, b.duration, true),
    methods,
    phases,
    flags,
  };
}
