/** The synthetic population's records (population.ts generates them, marriages.ts pairs them). */

export interface Person {
  idNumber: string;
  name: string;
  sex: 'MALE' | 'FEMALE';
  birthDate: string;
  phone: string;
  address: string;
}

export type MarriageKind = 'MARRIAGE' | 'DIVORCE' | 'REISSUE' | 'ANNULMENT';

/** One marriage registration event between a husband and a wife (indices into `persons`). */
export interface MarriageEvent {
  /** Sequential number, stable for a given population; used to build certificate and archival codes. */
  seq: number;
  kind: MarriageKind;
  date: string;
  husband: number;
  wife: number;
  /** Registration office county code (4307xx). */
  region: string;
}
