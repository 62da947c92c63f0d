/** The gateway's own answer to a failed person/persons root fetch (gateway/src/fetch/person-fallback.ts). */
import { GraphQLError } from 'graphql';
import { personReferencesFallback } from '../../gateway/src/fetch/person-fallback';
import { subgraphUnavailable } from '../../gateway/src/fetch/subgraph-fetcher';
import { DEMO } from '../../subgraphs/common/population';

const down = subgraphUnavailable('social-security', 'unreachable', 'could not be reached');

describe('personReferencesFallback', () => {
  it('answers aliases, fragments and lists with references; other fields null; the subgraph error kept', () => {
    const query = `query Q($a: ID!, $ids: [ID!]!) {
      me: person(idNumber: $a) { __typename idNumber ...F ... on Person { phone } }
      persons(idNumbers: $ids) { idNumber socialInsurance { insuredNumber } }
      __typename
    }
    fragment F on Person { name id: idNumber }`;
    const res = personReferencesFallback({ query, variables: { a: DEMO.husband, ids: [DEMO.wife] } }, down)!;
    expect(res.data).toEqual({
      me: { __typename: 'Person', idNumber: DEMO.husband, name: null, id: DEMO.husband, phone: null },
      persons: [{ idNumber: DEMO.wife, socialInsurance: null }],
      __typename: 'Query',
    });
    expect(res.errors).toEqual([down]);
  });

  it('reads literal arguments and reports a malformed ID as BAD_USER_INPUT at its field', () => {
    const res = personReferencesFallback({ query: `{ ok: person(idNumber: "${DEMO.wife}") { idNumber } bad: person(idNumber: "123") { idNumber } }` }, down)!;
    expect(res.data).toEqual({ ok: { idNumber: DEMO.wife }, bad: null });
    expect(res.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
      ['SUBGRAPH_UNAVAILABLE', undefined],
      ['BAD_USER_INPUT', ['bad']],
    ]);
  });

  it('leaves every other failure alone', () => {
    const entities = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Person { name } } }';
    expect(personReferencesFallback({ query: entities, variables: { representations: [] } }, down)).toBeUndefined();
    expect(personReferencesFallback({ query: `{ person(idNumber: "${DEMO.wife}") { idNumber } }` }, new GraphQLError('boom'))).toBeUndefined();
    expect(personReferencesFallback({ query: `mutation { correctPersonName(idNumber: "${DEMO.wife}", name: "x") { idNumber } }` }, down)).toBeUndefined();
    expect(personReferencesFallback({ query: `{ person(idNumber: "${DEMO.wife}") @include(if: true) { idNumber } }` }, down)).toBeUndefined();
  });
});
