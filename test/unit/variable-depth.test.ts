/** `jsonDepth`: the variable-depth limit's measure, for parsed POST variables and GET's JSON text. */
import { jsonDepth } from '../../gateway/src/limits';

describe('jsonDepth', () => {
  it('counts arrays and objects, the variables object being level 1', () => {
    expect(jsonDepth(undefined, 10)).toBe(0);
    expect(jsonDepth({ id: '430702198503151239' }, 10)).toBe(1);
    expect(jsonDepth({ f: { subject: 'x' }, ids: ['a', 'b'] }, 10)).toBe(2);
    expect(jsonDepth('{"f":{"subject":"x"},"ids":["a","b"]}', 10)).toBe(2);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepth('{"x":"[[[{{{\\"[[[","y":[1]}', 10)).toBe(2);
  });

  it('stops soon after the cap, however deep the value, parsed or as text', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonDepth({ x: deep }, 10)).toBe(11);
    expect(jsonDepth(`{"x":${'['.repeat(100_000)}1${']'.repeat(100_000)}}`, 10)).toBe(11);
  });
});
