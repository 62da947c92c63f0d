/** Correcting a unit's location (correctPropertyLocation, and `npm run import -- --dept real-estate`). */
import { badInput } from '../../lib/errors';
import { requireText, type Correction } from '../common/corrections';
import { requireUnitNumber } from './inputs';
import { correctUnitLocation, type RealEstateDB } from './store';

export const correction: Correction<RealEstateDB> = {
  mutation: 'correctPropertyLocation',
  returnsList: true,
  async apply(store, args) {
    const unitNumber = requireUnitNumber(String(args.unitNumber ?? ''));
    const holders = await correctUnitLocation(store, unitNumber, requireText(args.location, 'location', 128));
    if (holders.length === 0) throw badInput('unitNumber', `No right is registered on unit ${unitNumber}.`);
    return holders;
  },
};
