import { f64Column, i32Column, u32Column, u8Column, type Column } from './growable.ts';
import { weightedDurationStats } from './percentiles.ts';
import { FLAG_KINDS, KeyShape, PHASES, Role, type Flag, type FlagGroup, type FlagKind, type KeyLifecycle, type LifecycleGroups, type LifecycleSummary, type PhaseName } from './types.ts';

const FLAG_CODE: Readonly<Record<FlagKind, number>> = Object.fromEntries(FLAG_KINDS.map((k, i) => [k, i])) as Record<FlagKind, number>;
const GROUP_WRITE = 0;
const GROUP_READ = 1;
/** Groups a call may merge into are searched among its last few (a call's keys usually share one start call). */
const GROUP_SEARCH = 32;
type GroupCall = 'start' | 'enter' | 'exit' | 'end';
/** Each phase runs from one call of a group to another. */
const PHASE_SPAN: Readonly<Record<PhaseName, [GroupCall, GroupCall, number]>> = {
  write: ['start', 'end', GROUP_WRITE],
  read: ['start', 'end', GROUP_READ],
  read_wait: ['start', 'enter', GROUP_READ],
  read_body: ['enter', 'exit', GROUP_READ],
  read_release: ['exit', 'end', GROUP_READ],
};

export interface LifecycleOptions {
  /** Keep every KeyLifecycle as an object (for one key's timeline; too heavy for a whole trace). */
  keepLifecycles?: boolean;
}

/**
 * Pairs calls per key, FIFO, as LMCache's replay pairs enter/exit per key list: a write is
 * reserve_write -> finish_write; a read is submit_prefetch_task -> read_prefetched_results.__enter__
 * -> __exit__ -> finish_read_prefetched. Fed one call at a time in trace order; only open
 * lifecycles are held (a pooled linked list per key in typed arrays), closed ones become phase
 * durations, call-level groups and flags. `finish()` may be called at any time (live loading): it
 * recomputes the end-of-trace flags (leaks) without closing anything.
 *
 * Rules when calls do not line up: finish_read_prefetched releases the key's oldest exited read,
 * else its oldest entered one, else its oldest prefetched one (released unread); an enter with no
 * open prefetch opens a read (flagged); an exit with no open enter is flagged and dropped. Entry-only
 * traces do not say which keys reserve_write actually reserved, so a key refused by a partial
 * reserve shows as a leaked write: flags are "looks wrong", not proof.
 */
export class LifecycleTracker {
  // Per key: write and read FIFO queues (node + 1; 0 = empty), and whether a write was seen.
  private readonly wHead = i32Column();
  private readonly wTail = i32Column();
  private readonly rHead = i32Column();
  private readonly rTail = i32Column();
  private readonly written = u8Column();
  // Node pool: a = reserve/prefetch call, b = enter, c = exit (-1 absent), with their times.
  private readonly nA = i32Column();
  private readonly nB = i32Column();
  private readonly nC = i32Column();
  private readonly nTa = f64Column();
  private readonly nTb = f64Column();
  private readonly nTc = f64Column();
  private readonly nNext = i32Column();
  private freeNode = 0;
  // Closed lifecycles, grouped by their calls, with the calls' times: phase durations are computed
  // from these weighted by key count, so memory follows calls, not keys x calls.
  private readonly g = { kind: u8Column(), start: i32Column(), enter: i32Column(), exit: i32Column(), end: i32Column(), keys: u32Column() };
  private readonly gt = { start: f64Column(), enter: f64Column(), exit: f64Column(), end: f64Column() };
  private groupMark = 0;
  private groupCall = -1;
  private readonly fKind = u8Column();
  private readonly fKey = u32Column();
  private readonly fCalls = i32Column();
  private readonly flagCount = new Array<number>(FLAG_KINDS.length).fill(0);
  private leaks: { flags: Flag[]; groups: LifecycleGroups } | null = null;
  private openWrites = 0;
  private openReads = 0;
  private completeWrites = 0;
  private completeReads = 0;
  private unknownShape = 0;
  private cached: LifecycleSummary | null = null;
  readonly lifecycles: KeyLifecycle[] | null;

  constructor(options: LifecycleOptions = {}) {
    this.lifecycles = options.keepLifecycles ? [] : null;
  }

  /** One call, in trace order: its index, role, t_mono and key ids keys[start..end). */
  add(call: number, role: Role, t: number, keys: ArrayLike<number>, shape: KeyShape, start = 0, end = keys.length): void {
    if (role === Role.other) return;
    this.cached = null;
    if (shape === KeyShape.none) {
      this.unknownShape++;
      return;
    }
    for (let i = start; i < end; i++) {
      const k = keys[i]!;
      if (k >= this.written.length) this.growKeys(k + 1);
      switch (role) {
        case Role.reserveWrite:
          this.written.data[k] = 1;
          this.append(this.wHead, this.wTail, k, this.node(call, t));
          this.openWrites++;
          break;
        case Role.finishWrite:
          this.written.data[k] = 1;
          this.finishWrite(call, t, k);
          break;
        case Role.prefetch:
          if (this.written.data[k] === 0) this.flag('read_never_written', k, call);
          this.append(this.rHead, this.rTail, k, this.node(call, t));
          this.openReads++;
          break;
        case Role.readEnter:
          this.enter(call, t, k);
          break;
        case Role.readExit:
          this.exit(call, t, k);
          break;
        case Role.finishRead:
          this.finishRead(call, t, k);
          break;
      }
    }
  }

  private finishWrite(call: number, t: number, k: number): void {
    const head = this.wHead.data[k]!;
    if (head === 0) return this.flag('finish_without_reserve', k, call);
    const n = head - 1;
    this.unlink(this.wHead, this.wTail, k, n, 0);
    const a = this.nA.data[n]!;
    this.group(GROUP_WRITE, a, -1, -1, call, this.nTa.data[n]!, 0, 0, t);
    this.lifecycles?.push({ kind: 'write', calls: [a, call], complete: true });
    this.release(n);
    this.openWrites--;
    this.completeWrites++;
  }

  private enter(call: number, t: number, k: number): void {
    for (let v = this.rHead.data[k]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const n = v - 1;
      if (this.nB.data[n] === -1 && this.nA.data[n] !== -1) {
        this.nB.data[n] = call;
        this.nTb.data[n] = t;
        return;
      }
    }
    this.flag('enter_without_prefetch', k, call);
    if (this.written.data[k] === 0) this.flag('read_never_written', k, call);
    const n = this.node(-1, t);
    this.nB.data[n] = call;
    this.nTb.data[n] = t;
    this.append(this.rHead, this.rTail, k, n);
    this.openReads++;
  }

  private exit(call: number, t: number, k: number): void {
    for (let v = this.rHead.data[k]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const n = v - 1;
      if (this.nB.data[n] !== -1 && this.nC.data[n] === -1) {
        this.nC.data[n] = call;
        this.nTc.data[n] = t;
        return;
      }
    }
    this.flag('exit_without_enter', k, call);
  }

  private finishRead(call: number, t: number, k: number): void {
    let exited = -1, entered = -1, prev = -1, prevExited = -1, prevEntered = -1;
    const first = this.rHead.data[k]! - 1;
    for (let v = this.rHead.data[k]!; v !== 0 && exited < 0; v = this.nNext.data[v - 1]!) {
      const n = v - 1;
      if (this.nC.data[n] !== -1) {
        exited = n;
        prevExited = prev;
      } else if (entered < 0 && this.nB.data[n] !== -1) {
        entered = n;
        prevEntered = prev;
      }
      prev = n;
    }
    let n: number, p: number;
    if (exited >= 0) [n, p] = [exited, prevExited];
    else if (entered >= 0) [n, p] = [entered, prevEntered];
    else if (first >= 0) [n, p] = [first, -1];
    else return this.flag('release_without_prefetch', k, call);
    this.unlink(this.rHead, this.rTail, k, n, p + 1);
    const a = this.nA.data[n]!, b = this.nB.data[n]!, c = this.nC.data[n]!;
    const ta = this.nTa.data[n]!, tb = this.nTb.data[n]!, tc = this.nTc.data[n]!;
    this.group(GROUP_READ, a, b, c, call, ta, tb, tc, t);
    this.lifecycles?.push({ kind: 'read', calls: [a, b, c, call], complete: true });
    this.release(n);
    this.openReads--;
    this.completeReads++;
  }

  /** Counts a key into the call-level group of (kind, start, enter, exit, end), made by the current call. */
  private group(kind: number, a: number, b: number, c: number, end: number, ta: number, tb: number, tc: number, te: number): void {
    const g = this.g;
    if (this.groupCall !== end) {
      this.groupCall = end;
      this.groupMark = g.kind.length;
    }
    for (let i = g.kind.length - 1; i >= Math.max(this.groupMark, g.kind.length - GROUP_SEARCH); i--) {
      if (g.kind.data[i] === kind && g.start.data[i] === a && g.enter.data[i] === b && g.exit.data[i] === c) {
        g.keys.data[i]!++;
        return;
      }
    }
    g.kind.push(kind);
    g.start.push(a);
    g.enter.push(b);
    g.exit.push(c);
    g.end.push(end);
    g.keys.push(1);
    this.gt.start.push(ta);
    this.gt.enter.push(tb);
    this.gt.exit.push(tc);
    this.gt.end.push(te);
  }

  private flag(kind: FlagKind, k: number, call: number): void {
    this.fKind.push(FLAG_CODE[kind]);
    this.fKey.push(k);
    this.fCalls.push(call);
    this.flagCount[FLAG_CODE[kind]]!++;
  }

  private node(a: number, ta: number): number {
    let n: number;
    if (this.freeNode !== 0) {
      n = this.freeNode - 1;
      this.freeNode = this.nNext.data[n]!;
    } else {
      n = this.nA.length;
      for (const col of [this.nA, this.nB, this.nC, this.nNext]) col.push(0);
      for (const col of [this.nTa, this.nTb, this.nTc]) col.push(0);
    }
    this.nA.data[n] = a;
    this.nB.data[n] = -1;
    this.nC.data[n] = -1;
    this.nTa.data[n] = ta;
    this.nNext.data[n] = 0;
    return n;
  }

  private release(n: number): void {
    this.nNext.data[n] = this.freeNode;
    this.freeNode = n + 1;
  }

  private append(head: Column<Int32Array>, tail: Column<Int32Array>, k: number, n: number): void {
    const t = tail.data[k]!;
    if (t === 0) head.data[k] = n + 1;
    else this.nNext.data[t - 1] = n + 1;
    tail.data[k] = n + 1;
  }

  /** Removes node n whose predecessor is prev1 - 1 (prev1 = 0: n is the head). */
  private unlink(head: Column<Int32Array>, tail: Column<Int32Array>, k: number, n: number, prev1: number): void {
    const next = this.nNext.data[n]!;
    if (prev1 === 0) head.data[k] = next;
    else this.nNext.data[prev1 - 1] = next;
    if (tail.data[k] === n + 1) tail.data[k] = prev1;
  }

  private growKeys(n: number): void {
    for (const col of [this.wHead, this.wTail, this.rHead, this.rTail]) col.resize(n);
    this.written.resize(n);
  }

  /** Recomputes the end-of-trace flags (leaked_write, leaked_read) from what is open now. */
  finish(): void {
    this.cached = null;
    const flags: Flag[] = [];
    const groups = emptyGroups();
    const byStart = new Map<string, number>();
    const cols = { kind: u8Column(), start: i32Column(), enter: i32Column(), exit: i32Column(), end: i32Column(), keys: u32Column() };
    const addGroup = (kind: number, a: number, b: number, c: number) => {
      const id = `${kind},${a},${b},${c}`;
      const i = byStart.get(id);
      if (i !== undefined) {
        cols.keys.data[i]!++;
        return;
      }
      byStart.set(id, cols.kind.length);
      cols.kind.push(kind);
      cols.start.push(a);
      cols.enter.push(b);
      cols.exit.push(c);
      cols.end.push(-1);
      cols.keys.push(1);
    };
    for (let k = 0; k < this.written.length; k++) {
      for (let v = this.wHead.data[k]!; v !== 0; v = this.nNext.data[v - 1]!) {
        const a = this.nA.data[v - 1]!;
        flags.push({ kind: 'leaked_write', keyId: k, calls: [a] });
        addGroup(GROUP_WRITE, a, -1, -1);
        this.lifecycles?.push({ kind: 'write', calls: [a, -1], complete: false });
      }
      for (let v = this.rHead.data[k]!; v !== 0; v = this.nNext.data[v - 1]!) {
        const n = v - 1;
        const a = this.nA.data[n]!, b = this.nB.data[n]!, c = this.nC.data[n]!;
        flags.push({ kind: 'leaked_read', keyId: k, calls: [a, b, c].filter((x) => x !== -1) });
        addGroup(GROUP_READ, a, b, c);
        this.lifecycles?.push({ kind: 'read', calls: [a, b, c, -1], complete: false });
      }
    }
    groups.kind = cols.kind.trimmed();
    groups.start = cols.start.trimmed();
    groups.enter = cols.enter.trimmed();
    groups.exit = cols.exit.trimmed();
    groups.end = cols.end.trimmed();
    groups.keys = cols.keys.trimmed();
    groups.length = cols.kind.length;
    this.leaks = { flags, groups };
  }

  summary(): LifecycleSummary {
    if (this.cached) return this.cached;
    const phases = {} as Record<PhaseName, ReturnType<typeof weightedDurationStats>>;
    for (const p of PHASES) {
      const [d, w] = this.phaseDurations(p);
      phases[p] = weightedDurationStats(d, w);
    }
    const flagCounts = {} as Record<FlagKind, number>;
    FLAG_KINDS.forEach((k, i) => (flagCounts[k] = this.flagCount[i]!));
    if (this.leaks) for (const f of this.leaks.flags) flagCounts[f.kind]++;
    this.cached = {
      phases,
      writes: { complete: this.completeWrites, open: this.openWrites },
      reads: { complete: this.completeReads, open: this.openReads },
      flagCounts,
      unknownShape: this.unknownShape,
    };
    return this.cached;
  }

  /** A phase's durations (seconds) per closed group, with the group's key count as weight. New arrays. */
  phaseDurations(phase: PhaseName): [Float64Array, Uint32Array] {
    const g = this.g, n = g.kind.length;
    const [from, to, kind] = PHASE_SPAN[phase];
    const fromC = g[from].data, toC = g[to].data, fromT = this.gt[from].data, toT = this.gt[to].data;
    const d = new Float64Array(n), w = new Uint32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (g.kind.data[i] !== kind || fromC[i] === -1 || toC[i] === -1) continue;
      d[m] = toT[i]! - fromT[i]!;
      w[m++] = g.keys.data[i]!;
    }
    return [d.slice(0, m), w.slice(0, m)];
  }

  /** Closed lifecycles grouped by call, then (after finish()) the open ones with end = -1. Copies. */
  groups(): LifecycleGroups {
    const g = this.g;
    const closed: LifecycleGroups = {
      kind: g.kind.trimmed(),
      start: g.start.trimmed(),
      enter: g.enter.trimmed(),
      exit: g.exit.trimmed(),
      end: g.end.trimmed(),
      keys: g.keys.trimmed(),
      length: g.kind.length,
    };
    return this.leaks ? concatGroups(closed, this.leaks.groups) : closed;
  }

  /** Flags in the order found, leaks (from the last finish()) last; at most `limit`, optionally of one kind. */
  flags(kind?: FlagKind, limit = Infinity): Flag[] {
    const out: Flag[] = [];
    const code = kind === undefined ? -1 : FLAG_CODE[kind];
    for (let i = 0; i < this.fKind.length && out.length < limit; i++) {
      const c = this.fKind.data[i]!;
      if (code !== -1 && c !== code) continue;
      out.push({ kind: FLAG_KINDS[c]!, keyId: this.fKey.data[i]!, calls: [this.fCalls.data[i]!] });
    }
    if (this.leaks) for (const f of this.leaks.flags) if (out.length < limit && (kind === undefined || f.kind === kind)) out.push(f);
    return out;
  }

  /** Flags merged by (kind, calls): one entry per offending call with its keys. Ordered by first call. */
  flagGroups(kind?: FlagKind, limit = Infinity): FlagGroup[] {
    const byId = new Map<string, FlagGroup>();
    for (const f of this.flags(kind)) {
      const id = `${f.kind}|${f.calls.join(',')}`;
      const g = byId.get(id);
      if (g) g.keyIds.push(f.keyId);
      else byId.set(id, { kind: f.kind, calls: f.calls, keyIds: [f.keyId] });
    }
    return [...byId.values()].sort((x, y) => (x.calls[0] ?? 0) - (y.calls[0] ?? 0)).slice(0, limit);
  }
}

function emptyGroups(): LifecycleGroups {
  return { kind: new Uint8Array(0), start: new Int32Array(0), enter: new Int32Array(0), exit: new Int32Array(0), end: new Int32Array(0), keys: new Uint32Array(0), length: 0 };
}

function concatGroups(a: LifecycleGroups, b: LifecycleGroups): LifecycleGroups {
  const cat = <T extends Uint8Array | Int32Array | Uint32Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    kind: cat(a.kind, b.kind, (n) => new Uint8Array(n)),
    start: cat(a.start, b.start, (n) => new Int32Array(n)),
    enter: cat(a.enter, b.enter, (n) => new Int32Array(n)),
    exit: cat(a.exit, b.exit, (n) => new Int32Array(n)),
    end: cat(a.end, b.end, (n) => new Int32Array(n)),
    keys: cat(a.keys, b.keys, (n) => new Uint32Array(n)),
    length: a.length + b.length,
  };
}
