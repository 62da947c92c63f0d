/** gateway/src/authz/errors: the errors and the nulls a client sees for denied fields. */
import { deniedErrors, fillDenied } from '../../gateway/src/authz/errors';
import type { Denial } from '../../gateway/src/authz/authorize';

const denial = (path: string[], types: string[], extra: Partial<Denial> = {}): Denial => ({
  path, types, coordinate: `T.${path[path.length - 1]}`, ...extra,
});

describe('deniedErrors', () => {
  it('builds one UNAUTHORIZED_FIELD_OR_TYPE error per distinct path, Router-shaped', () => {
    const errors = deniedErrors([
      denial(['search', 'id'], ['[R!]!', 'ID!'], { coordinate: 'Marriage.id' }),
      denial(['search', 'id'], ['[R!]!', 'ID!'], { coordinate: 'Birth.id' }),
      denial(['me'], ['Person']),
    ]);
    expect(errors.map((e) => e.toJSON())).toEqual([
      { message: 'Unauthorized field or type', path: ['search', 'id'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } },
      { message: 'Unauthorized field or type', path: ['me'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } },
    ]);
  });
});

describe('fillDenied', () => {
  it('puts null at a nullable denied field, in every item of a list', () => {
    const data = { people: [{ name: 'a' }, { name: 'b' }, null], motd: 'hi' };
    expect(fillDenied(data, [denial(['people', 'idNumber'], ['[Person]', 'String'])])).toEqual({
      people: [{ name: 'a', idNumber: null }, { name: 'b', idNumber: null }, null], motd: 'hi',
    });
  });

  it('walks nested lists', () => {
    const data = { grid: [[{ a: 1 }], [{ a: 2 }, { a: 3 }]] };
    fillDenied(data, [denial(['grid', 'b'], ['[[Cell]]', 'Int'])]);
    expect(data).toEqual({ grid: [[{ a: 1, b: null }], [{ a: 2, b: null }, { a: 3, b: null }]] });
  });

  it('propagates a denied non-null field to the nearest nullable position, as GraphQL does', () => {
    const item = () => ({ name: 'x' });
    // item nullable: the item becomes null
    expect(fillDenied({ people: [item(), item()] }, [denial(['people', 'phone'], ['[Person]!', 'String!'])]))
      .toEqual({ people: [null, null] });
    // item non-null, list nullable: the list becomes null
    expect(fillDenied({ people: [item()], motd: 'hi' }, [denial(['people', 'phone'], ['[Person!]', 'String!'])]))
      .toEqual({ people: null, motd: 'hi' });
    // nothing nullable up to the root: data becomes null
    expect(fillDenied({ people: [item()] }, [denial(['people', 'phone'], ['[Person!]!', 'String!'])])).toBeNull();
    expect(fillDenied({ me: { name: 'x' } }, [denial(['me', 'phone'], ['Person', 'String!'])])).toEqual({ me: null });
  });

  it('leaves values another (authorized) selection of the same key resolved', () => {
    const data = { search: [{ __typename: 'Person', id: '1' }, { __typename: 'Marriage' }, { id: '3' }] };
    fillDenied(data, [denial(['search', 'id'], ['[R]!', 'ID!'], { onTypes: ['Marriage'] })]);
    // Only the Marriage lacked the key; its id is non-null, so the (nullable) item goes.
    expect(data).toEqual({ search: [{ __typename: 'Person', id: '1' }, null, { id: '3' }] });
  });

  it('restricts a denial under a type condition to objects of those types', () => {
    const data = { search: [{ __typename: 'Person', name: 'n' }, { __typename: 'Marriage' }] };
    fillDenied(data, [denial(['search', 'spouse'], ['[R!]!', 'Person'], { onTypes: ['Marriage'] })]);
    expect(data).toEqual({ search: [{ __typename: 'Person', name: 'n' }, { __typename: 'Marriage', spouse: null }] });
  });

  it('for a whole-operation denial, fills an empty object; leaves a null data alone', () => {
    expect(fillDenied({}, [denial(['me'], ['Person']), denial(['motd'], ['String'])])).toEqual({ me: null, motd: null });
    expect(fillDenied(null, [denial(['me'], ['Person'])])).toBeNull();
  });
});
