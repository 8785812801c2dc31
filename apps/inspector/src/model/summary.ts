import {
  AttnWindowDesc,
  EnumMember,
  MemoryLayoutDesc,
  ObjectKey,
  PrefetchHandle,
  PrefetchRequestSpec,
  RawTagged,
  TorchDtype,
  TorchSize,
  Tuple,
} from '@kvtrace/trace';
import { formatBytes } from './format.ts';

/** Number of ObjectKeys a call carries: `keys`, or a prefetch spec's keys; null when it has none. */
export function keyCount(args: Record<string, unknown>): number | null {
  const keys = args.keys;
  if (Array.isArray(keys)) return keys.length;
  if (keys instanceof Tuple) return keys.items.length;
  const spec = args.spec;
  if (spec instanceof PrefetchRequestSpec) return spec.keys.length;
  return null;
}

export const shortDtype = (d: string): string => (d.startsWith('torch.') ? d.slice(6) : d);

export function layoutText(l: MemoryLayoutDesc): string {
  const parts = l.shapes.map((s, i) => `${s.join('×')} ${shortDtype(l.dtypes[i] ?? '?')}`);
  return `${parts.join(', ')} (${formatBytes(l.byteSize)})`;
}

/** A one-line rendering of a value, at most ~`budget` characters. */
export function shortValue(v: unknown, budget = 40): string {
  if (v === null || v === undefined) return 'None';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > budget ? v.slice(0, budget) + '…' : v);
    case 'number':
      return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'True' : 'False';
    default:
      break;
  }
  if (v instanceof ObjectKey) return `#${v.hashHex.slice(0, 8)}`;
  if (v instanceof MemoryLayoutDesc) return layoutText(v);
  if (v instanceof EnumMember) return v.name;
  if (v instanceof TorchDtype) return shortDtype(v.name);
  if (v instanceof TorchSize) return `Size[${v.dims.join(', ')}]`;
  if (v instanceof AttnWindowDesc) return `attn[${v.windows.join(',')}]`;
  if (v instanceof PrefetchRequestSpec) return `spec(${v.keys.length} keys, ${v.policy.name}, ${v.mode.name})`;
  if (v instanceof PrefetchHandle) return `handle(${v.prefetchRequestId})`;
  if (v instanceof RawTagged) return `⚠${v.tag}`;
  if (v instanceof Uint8Array) return `bytes[${v.length}]`;
  if (v instanceof Tuple) return `(${listText(v.items, budget)})`;
  if (v instanceof Set) return `{${listText([...v], budget)}}`;
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => x instanceof ObjectKey)) return `[${v.length} key${v.length === 1 ? '' : 's'}]`;
    return `[${listText(v, budget)}]`;
  }
  if (v instanceof Map) return `{${v.size} entries}`;
  return `{${Object.keys(v).length} fields}`;
}

function listText(items: readonly unknown[], budget: number): string {
  const out: string[] = [];
  let len = 0;
  for (const it of items) {
    const s = shortValue(it, 16);
    if (len + s.length > budget) {
      out.push(`…+${items.length - out.length}`);
      break;
    }
    out.push(s);
    len += s.length + 2;
  }
  return out.join(', ');
}

/** The call table's argument column: every argument but the keys (they have their own column). */
export function summarizeArgs(args: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, v] of Object.entries(args)) {
    if (name === 'keys' && (Array.isArray(v) || v instanceof Tuple)) continue;
    parts.push(`${name}=${shortValue(v)}`);
  }
  return parts.join('  ');
}
