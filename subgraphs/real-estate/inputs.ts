/** The real-estate subgraph's input checks. */
import { badInput } from '../../lib/errors';

/**
 * 不动产单元号 (28 characters): county code (6) + 地籍区 (3) + 地籍子区 (3) + 宗地特征码 (G/J/Z and a
 * land-right letter) + 宗地顺序号 (5) + 定着物特征码 (F/L/Q/W) + 定着物单元编号 (8).
 */
export const UNIT_NUMBER = /^\d{12}[GJZ][A-Z]\d{5}[FLQW]\d{8}$/;

/** Returns `value` when it is a well-formed 不动产单元号; otherwise throws BAD_USER_INPUT. */
export function requireUnitNumber(value: string, argumentName = 'unitNumber'): string {
  if (!UNIT_NUMBER.test(value)) {
    throw badInput(
      argumentName,
      `${argumentName} "${value.slice(0, 40)}" is not a valid 不动产单元号: expected 28 characters, 12 digits (county, 地籍区, 地籍子区), ` +
        `宗地特征码 (G/J/Z + a letter), 5 digits, 定着物特征码 (F/L/Q/W) and 8 digits, e.g. 320684413219GB00029F00010002.`,
    );
  }
  return value;
}
