import { BoundedMap } from '../../lib/bounded-map';

describe('BoundedMap', () => {
  it('holds at most its bound, dropping the oldest key for a new one', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('c', 3);
    expect([...m]).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('replaces a value it holds without dropping another', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('a', 10);
    expect([...m]).toEqual([
      ['a', 10],
      ['b', 2],
    ]);
  });
});
