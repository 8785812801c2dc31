import { SM_METHODS, shortMethodName, smQualname } from '../format/spec.ts';
import { Role } from './types.ts';

const ROLE_BY_QUALNAME: ReadonlyMap<string, Role> = new Map<string, Role>([
  [smQualname(SM_METHODS.reserveWrite), Role.reserveWrite],
  [smQualname(SM_METHODS.finishWrite), Role.finishWrite],
  [smQualname(SM_METHODS.submitPrefetchTask), Role.prefetch],
  [smQualname(SM_METHODS.readPrefetchedEnter), Role.readEnter],
  [smQualname(SM_METHODS.readPrefetchedExit), Role.readExit],
  [smQualname(SM_METHODS.finishReadPrefetched), Role.finishRead],
]);

/** Method ids are stored per call in a Uint16Array. */
export const MAX_METHODS = 0xffff;

/**
 * Dense method ids for qualnames, with their lifecycle role. The index, the lifecycle tracker and
 * the exports share one table, so a method id means the same thing in every result.
 */
export class MethodTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly shorts: string[] = [];
  private readonly roleOf: Role[] = [];

  intern(qualname: string): number {
    let id = this.ids.get(qualname);
    if (id === undefined) {
      id = this.names.length;
      if (id >= MAX_METHODS) throw new Error(`more than ${MAX_METHODS} distinct qualnames`);
      this.ids.set(qualname, id);
      this.names.push(qualname);
      this.shorts.push(shortMethodName(qualname));
      this.roleOf.push(ROLE_BY_QUALNAME.get(qualname) ?? Role.other);
    }
    return id;
  }

  /** The id of a qualname or of a short name (`reserve_write`), or -1. */
  idOf(name: string): number {
    const id = this.ids.get(name) ?? this.ids.get(smQualname(name));
    return id ?? -1;
  }

  get size(): number {
    return this.names.length;
  }
  qualname(id: number): string {
    return this.names[id] ?? '';
  }
  shortName(id: number): string {
    return this.shorts[id] ?? '';
  }
  role(id: number): Role {
    return this.roleOf[id] ?? Role.other;
  }
  qualnames(): string[] {
    return [...this.names];
  }
  static fromQualnames(qualnames: readonly string[]): MethodTable {
    const t = new MethodTable();
    for (const q of qualnames) t.intern(q);
    return t;
  }
}
