/** Correcting an enrolee's person type (correctMedicalPersonType, and `npm run import -- --dept medical-insurance`). */
import { badInput } from '../../lib/errors';
import type { Correction } from '../common/corrections';
import { requireIdNumber } from '../common/inputs';
import { correctPersonType, PERSON_TYPES, type MedicalInsuranceDB, type PersonType } from './store';

export const correction: Correction<MedicalInsuranceDB> = {
  mutation: 'correctMedicalPersonType',
  returnsList: false,
  async apply(store, args) {
    const idNumber = requireIdNumber(String(args.idNumber ?? ''));
    const personType = String(args.personType ?? '') as PersonType;
    if (!PERSON_TYPES.includes(personType)) throw badInput('personType', `personType must be one of ${PERSON_TYPES.join(', ')}; got "${personType.slice(0, 20)}".`);
    if (!(await correctPersonType(store, idNumber, personType))) {
      throw badInput('idNumber', `${idNumber} was never insured; only an enrolee's person type can be corrected.`);
    }
    return [idNumber];
  },
};
