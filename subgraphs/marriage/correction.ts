/** Correcting a registration's office (correctMarriageOffice, and `npm run import -- --dept marriage`). */
import { badInput } from '../../lib/errors';
import { requireText, type Correction } from '../common/corrections';
import { correctRegistrationOffice, type MarriageDB } from './store';

export const correction: Correction<MarriageDB> = {
  mutation: 'correctMarriageOffice',
  returnsList: true,
  async apply(store, args) {
    const id = String(args.id ?? '');
    if (!/^\d{1,15}$/.test(id)) throw badInput('id', `id must be a registration id (digits); got "${id.slice(0, 20)}".`);
    const parties = await correctRegistrationOffice(store, Number(id), requireText(args.office, 'office', 64));
    if (!parties) throw badInput('id', `There is no marriage registration ${id}.`);
    return parties;
  },
};
