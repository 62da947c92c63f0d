/** Correcting a registered name (correctPersonName, and `npm run import -- --dept social-security`). */
import { badInput } from '../../lib/errors';
import { requireText, type Correction } from '../common/corrections';
import { requireIdNumber } from '../common/inputs';
import { correctResidentName, type SocialSecurityDB } from './store';

export const correction: Correction<SocialSecurityDB> = {
  mutation: 'correctPersonName',
  returnsList: false,
  async apply(store, args) {
    const idNumber = requireIdNumber(String(args.idNumber ?? ''));
    if (!(await correctResidentName(store, idNumber, requireText(args.name, 'name', 32)))) {
      throw badInput('idNumber', `The resident register holds no ${idNumber}; only a registered name can be corrected.`);
    }
    return [idNumber];
  },
};
