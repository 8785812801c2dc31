import {
  argsViolation,
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
  unpackKvRank,
  toHex,
  dtypeBytes,
  type Violation,
} from '@kvtrace/trace';
import { formatBytes } from './format.ts';
import { layoutText, shortDtype, shortValue } from './summary.ts';

/**
 * The argument tree, as plain data: one node per value, children produced only when asked for
 * (`children(from, to)`), so a 100,000-element array costs nothing until its page is opened.
 */
export interface ArgNode {
  name: string;
  /** Where it is among the call's arguments, as libs/trace's violations name it (`keys[2].model_name`). */
  path: string;
  /** What the value is: `ObjectKey`, `list`, `bytes`, `str`, a codec tag... */
  kind: string;
  /** One-line rendering. */
  text: string;
  /** Shown as a badge (unknown tags, decode errors). */
  badge?: string;
  /** Text for a copy button (the full chunk hash of a key). */
  copy?: string;
  /** The key itself, for "follow this key". */
  objectKey?: ObjectKey;
  childCount: number;
  children?: (from: number, to: number) => ArgNode[];
}

export const PAGE_SIZE = 100;
const HEX_LINE = 32;

/** A child's path: `parent.field`, `parent[i]`, or the argument's name at the top. */
export const childPath = (parent: string, name: string): string => (parent === '' ? name : name.startsWith('[') ? `${parent}${name}` : `${parent}.${name}`);

const fromEntries = (path: string, entries: [string, unknown][]): Pick<ArgNode, 'childCount' | 'children'> => ({
  childCount: entries.length,
  children: (from, to) => entries.slice(from, to).map(([k, v]) => argNode(k, v, path)),
});

const fromItems = (path: string, items: readonly unknown[]): Pick<ArgNode, 'childCount' | 'children'> => ({
  childCount: items.length,
  children: (from, to) => items.slice(from, to).map((v, i) => argNode(`[${from + i}]`, v, path)),
});

export function rankText(kvRank: number): string {
  const r = unpackKvRank(kvRank);
  return `rank ${r.globalRank}/${r.world} · local ${r.localRank}/${r.localWorld}`;
}

/** The node of value `v` named `name` under the node at `parent` ('' for an argument of the call). */
export function argNode(name: string, v: unknown, parent = ''): ArgNode {
  const path = childPath(parent, name);
  const leaf = (kind: string, text: string): ArgNode => ({ name, path, kind, text, childCount: 0 });
  const childLeaf = (n: string, kind: string, text: string): ArgNode => ({ name: n, path: childPath(path, n), kind, text, childCount: 0 });
  if (v === null || v === undefined) return leaf('None', 'None');
  switch (typeof v) {
    case 'string':
      return leaf('str', JSON.stringify(v));
    case 'number':
      return leaf(Number.isInteger(v) ? 'int' : 'float', String(v));
    case 'bigint':
      return leaf('int', v.toString());
    case 'boolean':
      return leaf('bool', v ? 'True' : 'False');
    default:
      break;
  }
  if (v instanceof ObjectKey) {
    return {
      name,
      path,
      kind: 'ObjectKey',
      text: `#${v.hashHex.slice(0, 12)}  ${v.modelName}  ${rankText(v.kvRank)}${v.objectGroupId ? `  group ${v.objectGroupId}` : ''}${v.cacheSalt ? `  salt ${JSON.stringify(v.cacheSalt)}` : ''}`,
      copy: v.hashHex,
      objectKey: v,
      ...fromEntries(path, [
        ['chunk_hash', v.chunkHash],
        ['model_name', v.modelName],
        ['kv_rank', v.kvRank],
        ['object_group_id', v.objectGroupId],
        ['cache_salt', v.cacheSalt],
      ]),
      children: (from, to) =>
        [
          { ...argNode('chunk_hash', v.chunkHash, path), copy: v.hashHex },
          argNode('model_name', v.modelName, path),
          childLeaf('kv_rank', 'int', `${v.kvRank} (${rankText(v.kvRank)})`),
          argNode('object_group_id', v.objectGroupId, path),
          argNode('cache_salt', v.cacheSalt, path),
        ].slice(from, to),
    };
  }
  if (v instanceof MemoryLayoutDesc) {
    const tensors = v.shapes.map((shape, i) => {
      const dtype = v.dtypes[i] ?? '?';
      const bytes = shape.reduce((a, b) => a * b, 1) * dtypeBytes(dtype);
      return childLeaf(`[${i}]`, 'tensor', `${shape.join(' × ')}  ${shortDtype(dtype)}  ${formatBytes(bytes)}`);
    });
    return { name, path, kind: 'MemoryLayoutDesc', text: layoutText(v), childCount: tensors.length, children: (f, t) => tensors.slice(f, t) };
  }
  if (v instanceof EnumMember) return leaf(v.enumName, `${v.enumName}.${v.name}`);
  if (v instanceof TorchDtype) return leaf('torch.dtype', v.name);
  if (v instanceof TorchSize) return leaf('torch.Size', `torch.Size([${v.dims.join(', ')}])`);
  if (v instanceof AttnWindowDesc)
    return leaf('AttnWindowDesc', `[${v.windows.join(', ')}]  (${v.windows.map((w) => (w === -1 ? 'full' : `window ${w}`)).join(', ')})`);
  if (v instanceof PrefetchRequestSpec)
    return {
      name,
      path,
      kind: 'PrefetchRequestSpec',
      text: shortValue(v),
      ...fromEntries(path, [
        ['keys', v.keys],
        ['layout_desc', v.layoutDesc],
        ['extra_count', v.extraCount],
        ['policy', v.policy],
        ['attn_desc', v.attnDesc],
        ['mode', v.mode],
      ]),
    };
  if (v instanceof PrefetchHandle)
    return {
      name,
      path,
      kind: 'PrefetchHandle',
      text: `request ${v.prefetchRequestId}${v.prefetchRequestId === -1 ? ' (no L2)' : ''} · ${v.l1PrefixHitCount}/${v.totalRequestedKeys} L1 hits`,
      ...fromEntries(path, [
        ['prefetch_request_id', v.prefetchRequestId],
        ['external_request_id', v.externalRequestId],
        ['l1_found_indices', v.l1FoundIndices],
        ['total_requested_keys', v.totalRequestedKeys],
        ['submit_time', v.submitTime],
        ['l2_orig_indices', v.l2OrigIndices],
        ['l1_prefix_hit_count', v.l1PrefixHitCount],
      ]),
    };
  if (v instanceof RawTagged) {
    const inner = argNode('v', v.payload, path);
    const entries: ArgNode[] = [inner];
    if (v.error) entries.push(childLeaf('error', 'str', v.error));
    return {
      name,
      path,
      kind: v.tag,
      text: `raw ${shortValue(v.payload)}`,
      badge: v.error ? 'bad payload' : 'unknown tag',
      childCount: entries.length,
      children: (f, t) => entries.slice(f, t),
    };
  }
  if (v instanceof Uint8Array) {
    const hex = toHex(v);
    if (v.length <= HEX_LINE) return { ...leaf('bytes', hex || "b''"), copy: hex };
    const lines = Math.ceil(v.length / HEX_LINE);
    return {
      name,
      path,
      kind: 'bytes',
      text: `${v.length} bytes  ${hex.slice(0, 16)}…`,
      copy: hex,
      childCount: lines,
      children: (f, t) =>
        Array.from({ length: Math.max(0, Math.min(t, lines) - f) }, (_, i) => {
          const at = (f + i) * HEX_LINE;
          return childLeaf(at.toString(16).padStart(6, '0'), 'hex', hex.slice(at * 2, (at + HEX_LINE) * 2).replace(/(.{8})/g, '$1 ').trim());
        }),
    };
  }
  if (v instanceof Tuple) return { name, path, kind: 'tuple', text: shortValue(v), ...fromItems(path, v.items) };
  if (v instanceof Set) return { name, path, kind: 'set', text: shortValue(v), ...fromItems(path, [...v]) };
  if (Array.isArray(v)) return { name, path, kind: `list[${v.length}]`, text: shortValue(v), ...fromItems(path, v) };
  if (v instanceof Map) return { name, path, kind: 'map', text: shortValue(v), ...fromEntries(path, [...v].map(([k, val]) => [String(k), val])) };
  if (typeof v === 'object') return { name, path, kind: 'map', text: shortValue(v), ...fromEntries(path, Object.entries(v)) };
  return leaf(typeof v, String(v));
}

/**
 * The first part of a call's arguments that LMCache's decoder would refuse (libs/trace's rules),
 * or null: a file may hold records the recorder would have refused (older writers, other tools).
 */
export function callViolation(args: Record<string, unknown>): Violation | null {
  return argsViolation(Object.keys(args), Object.values(args));
}

/** Where a node stands to a violation at `path`: the value at fault, one that holds it, or neither. */
export function violationPlace(node: ArgNode, path: string): 'at' | 'above' | null {
  if (node.path === path) return 'at';
  return path.startsWith(`${node.path}.`) || path.startsWith(`${node.path}[`) ? 'above' : null;
}
