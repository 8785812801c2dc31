import { describe, expect, it } from 'vitest';
import { Bookmarks } from './bookmarks.ts';
import { nameOfUrl, NO_EXTRAS, parseLinkExtras, viewParamProblems, writeLinkExtras, type LinkExtras } from './link-state.ts';

const TABS = ['call', 'requests', 'stats', 'compare', 'marks'];

describe('link extras', () => {
  it('round-trip the source, the compared trace, the tab and bookmarks with notes; other params stay', () => {
    const x: LinkExtras = {
      url: 'https://example.org/t/a b.lct?sig=1&x=2',
      compare: { kind: 'server', name: 'b.lct' },
      tab: 'compare',
      marks: [
        { call: 3, note: '' },
        { call: 12, note: 'slow: 40 ms, see #7' },
      ],
    };
    const s = writeLinkExtras('?trace=a.lct&q=keys%3E2', x);
    const p = new URLSearchParams(s);
    expect(p.get('trace')).toBe('a.lct');
    expect(p.get('q')).toBe('keys>2');
    expect(p.getAll('mark')).toEqual(['3', '12:slow: 40 ms, see #7']);
    expect(parseLinkExtras(s, TABS)).toEqual({ extras: x, problems: [] });
    const cmpUrl = writeLinkExtras('', { ...NO_EXTRAS, compare: { kind: 'url', url: 'http://h/x.lct' } });
    expect(parseLinkExtras(cmpUrl, TABS).extras.compare).toEqual({ kind: 'url', url: 'http://h/x.lct' });
    expect(writeLinkExtras('?mark=1&tab=stats', NO_EXTRAS)).toBe('');
  });

  it('names what it does not understand and keeps the rest', () => {
    const { extras, problems } = parseLinkExtras('?tab=nope&mark=x1&mark=7&url=javascript:alert(1)', TABS);
    expect(extras).toEqual({ url: null, compare: null, tab: null, marks: [{ call: 7, note: '' }] });
    expect(problems.map((p) => p.param)).toEqual(['url=javascript:alert(1)', 'tab=nope', 'mark=x1']);
    expect(problems[1]!.reason).toContain('call, requests, stats, compare, marks');
    expect(viewParamProblems('?t0=soon&t1=2.5&key=-1&sel=1.5&follow=yes').map((p) => p.param)).toEqual(['t0=soon', 'key=-1', 'sel=1.5', 'follow=yes']);
    expect(viewParamProblems('?t0=0.5&t1=&key=3&sel=0&follow=1')).toEqual([]);
  });

  it('opens the Requests panel for an old link to the Lifecycles panel (renamed)', () => {
    expect(parseLinkExtras('?tab=lifecycles', TABS)).toEqual({ extras: { ...NO_EXTRAS, tab: 'requests' }, problems: [] });
    // Written back under its new name, so the link the page shows is current.
    expect(writeLinkExtras('?tab=lifecycles', { ...NO_EXTRAS, tab: parseLinkExtras('?tab=lifecycles', TABS).extras.tab })).toBe('?tab=requests');
    // An alias only stands for a panel that exists.
    expect(parseLinkExtras('?tab=lifecycles', ['call']).problems.map((p) => p.param)).toEqual(['tab=lifecycles']);
  });

  it('names a trace opened by URL after its last path segment', () => {
    expect(nameOfUrl('https://h.example/a/b/trace%201.lct?sig=x')).toBe('trace 1.lct');
    expect(nameOfUrl('/traces/x.lct')).toBe('x.lct');
    expect(nameOfUrl('https://h.example/')).toBe('h.example');
  });
});

describe('Bookmarks', () => {
  it('keeps one mark per call, ordered, with a bounded note, and notifies only on change', () => {
    const b = new Bookmarks();
    let n = 0;
    b.subscribe(() => n++);
    b.toggle(9);
    b.set(2, 'first');
    b.set(9, 'x'.repeat(500));
    expect(b.getSnapshot().map((m) => m.call)).toEqual([2, 9]);
    expect(b.noteOf(9)).toHaveLength(200);
    expect(b.noteOf(4)).toBeNull();
    const before = n;
    b.replace([...b.getSnapshot()]);
    expect(n).toBe(before);
    b.toggle(2);
    expect(b.has(2)).toBe(false);
    b.replace([{ call: -1, note: '' }, { call: 1.5, note: '' }, { call: 5, note: 'a' }, { call: 5, note: 'b' }]);
    expect(b.getSnapshot()).toEqual([{ call: 5, note: 'b' }]);
  });
});
