import { maskBesideId } from '../../lib/mask';
import { describeIdNumber, idNumberProblem, isValidIdNumber, makeIdNumber, normaliseIdNumber } from '../../lib/id-number';
import { creditCheckChar, isValidCreditCode, makeCreditCode } from '../../lib/credit-code';
import { ARCHIVAL_CODE, ArchivalNumbering, openStatusFor, retentionYears } from '../../subgraphs/common/archival';

describe('resident ID numbers (GB 11643)', () => {
  it('accepts the standard test vector and the demo family', () => {
    expect(isValidIdNumber('34052419800101001X')).toBe(true);
    expect(isValidIdNumber('430702198503151239')).toBe(true);
    expect(isValidIdNumber('430702198706222420')).toBe(true);
  });

  it('rejects a wrong check character and says which one is expected', () => {
    expect(idNumberProblem('340524198001010011')).toBe('has a wrong check character (expected X)');
  });

  it.each([
    ['too short', '43070219850315123'],
    ['letters', '43070219850315123A'],
    ['lowercase x', '34052419800101001x'],
    ['February 30', makeIdNumber('430702', '1985-02-28', 123).replace('0228', '0230')],
    ['future birth', '430702209901011230'],
  ])('rejects %s', (_label, id) => {
    expect(isValidIdNumber(id)).toBe(false);
  });

  it('upgrades a 15-digit ID (19 after the area code, check character appended) and upper-cases an x', () => {
    expect(normaliseIdNumber('340524800101001')).toBe('34052419800101001X');
    expect(normaliseIdNumber('430702850315123')).toBe('430702198503151239');
    expect(normaliseIdNumber('34052419800101001x')).toBe('34052419800101001X');
    // Anything else is left for idNumberProblem to describe.
    expect(normaliseIdNumber('4307028503151')).toBe('4307028503151');
    expect(idNumberProblem(normaliseIdNumber('430702851301123'))).toBe('has an impossible birth date 19851301');
  });

  it('decodes sex and birth date, and builds valid numbers', () => {
    expect(describeIdNumber('430702198503151239')).toEqual({ region: '430702', birthDate: '1985-03-15', sex: 'MALE' });
    expect(describeIdNumber('430702198706222420').sex).toBe('FEMALE');
    const id = makeIdNumber('430781', '2001-12-31', 7);
    expect(id.slice(0, 17)).toBe('43078120011231007');
    expect(isValidIdNumber(id)).toBe(true);
  });
});

describe('unified social credit codes (GB 32100)', () => {
  it('computes the check character with weights 3^i mod 31', () => {
    // 91430700MA4L0XXXX style codes: the check character follows from the first 17.
    const code = makeCreditCode('91430702MA4L12345');
    expect(code).toHaveLength(18);
    expect(isValidCreditCode(code)).toBe(true);
    expect(creditCheckChar('91430702MA4L12345')).toBe(code[17]);
  });

  it('rejects a changed character and letters outside the alphabet', () => {
    const code = makeCreditCode('91430702MA4L12345');
    const changed = code.slice(0, 5) + (code[5] === '1' ? '2' : '1') + code.slice(6);
    expect(isValidCreditCode(changed)).toBe(false);
    expect(isValidCreditCode(code.replace('M', 'I'))).toBe(false);
  });
});

describe('archival codes (DA/T 13 档号)', () => {
  it('numbers items per year and retention in the J019-ZY·HY·2019·Y-0001 form', () => {
    const n = new ArchivalNumbering('J019', 'HY');
    expect(n.next(2019, 'PERMANENT').archival_code).toBe('J019-ZY·HY·2019·Y-0001');
    expect(n.next(2019, 'PERMANENT').archival_code).toBe('J019-ZY·HY·2019·Y-0002');
    expect(n.next(2019, 'Y30').archival_code).toBe('J019-ZY·HY·2019·D30-0001');
    expect(n.next(2020, 'Y10').archival_code).toMatch(ARCHIVAL_CODE);
    expect('J019-ZY·HY·2019·Y-0001').toMatch(ARCHIVAL_CODE);
    expect('J019-ZY-HY-2019-Y-0001').not.toMatch(ARCHIVAL_CODE);
    expect(new ArchivalNumbering('J019', 'HY·JH').next(2019, 'Y100').archival_code).toBe('J019-ZY·HY·JH·2019·D100-0001');
    expect('J019-ZY·HY·JH·2019·D100-0001').toMatch(ARCHIVAL_CODE);
  });

  it('expresses retention in years and opens records by the 25-year rule (档案法 2020 Art. 27)', () => {
    expect([retentionYears('PERMANENT'), retentionYears('Y100'), retentionYears('Y30')]).toEqual([null, 100, 30]);
    expect(openStatusFor(2001, true, 2025)).toBe('CONTROLLED');
    expect(openStatusFor(2000, true, 2025)).toBe('DELAYED');
    expect(openStatusFor(2000, false, 2025)).toBe('OPEN');
    expect(new ArchivalNumbering('J027', 'BD').next(1999, 'PERMANENT').open_status).toBe('DELAYED');
  });
});

describe('masks beside a masked ID number (lib/mask.ts maskBesideId)', () => {
  it('leave a birth year and a city, never the county', () => {
    expect(maskBesideId.birthDate('1987-06-22')).toBe('1987-**-**');
    expect(maskBesideId.address('湖南省常德市武陵区朗州路88号')).toBe('湖南省常德市****');
    expect(maskBesideId.address('湖南省常德市武陵区****')).toBe('湖南省常德市****');
    expect(maskBesideId.address('湖南省常德市津市市****')).toBe('湖南省常德市****'); // a county-level city
    expect(maskBesideId.address('常德市武陵区')).toBe('常德市****');
    expect(maskBesideId.regionCode('430702')).toBe('4307**');
  });
});
