// The one rjsf validator of every form the browser renders: draft 2020-12, Chinese messages unless asked otherwise.
import { customizeValidator } from "@rjsf/validator-ajv8";
import Ajv2020 from "ajv/dist/2020";
import localizeZh from "ajv-i18n/localize/zh";

// Ajv tests multipleOf by float division, which refuses 150.01 as a multiple of 0.01 (15000.999999999998).
// With a precision of 4 it accepts a quotient within 1e-4 of a whole number: float noise on amounts up to
// 1e8 stays far below that, while a third decimal place is off by at least 0.1, so it is still refused.
const AJV_OPTIONS = { multipleOfPrecision: 4 };

export function makeFormValidator(language) {
  return customizeValidator({ AjvClass: Ajv2020, ajvOptionsOverrides: AJV_OPTIONS },
    language === "en" ? undefined : localizeZh);
}
