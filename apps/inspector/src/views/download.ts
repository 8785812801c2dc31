/** Saves a Blob through a temporary `a[download]` (the object URL is revoked once the click is handled). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** `trace.lct` → `trace.<suffix>` */
export const exportName = (traceName: string | null, suffix: string): string => `${(traceName ?? 'trace').replace(/\.lct$/i, '')}.${suffix}`;
